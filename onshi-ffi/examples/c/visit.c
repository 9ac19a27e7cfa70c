/*
 * One patient's visit from C, on the virtual card: the facility (kept in an SQLite file) with
 * one reader, the patient's card placed, PIN chosen, a wrong PIN once, then the right one,
 * consent, the prescription question, the outcome.
 *
 *   bash onshi-ffi/examples/run.sh c
 *
 * A product replaces the onshi_sim_* calls with its PC/SC reader, camera and face matcher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ONSHI_SIM
#include "onshi.h"

/* Every call returns a status; on failure, print the thread's last error and stop. */
static void check(OnshiStatus status, const char *what) {
    if (status == ONSHI_STATUS_OK) return;
    char message[512];
    size_t needed = 0;
    if (onshi_last_error_message(message, sizeof message, &needed) != ONSHI_STATUS_OK)
        strcpy(message, "(message too long)");
    fprintf(stderr, "%s failed: status %d: %s\n", what, (int)status, message);
    exit(1);
}

static int accepts(OnshiVisit *visit, uint32_t kind) {
    uint32_t yes = 0;
    check(onshi_visit_accepts(visit, kind, &yes), "onshi_visit_accepts");
    return yes != 0;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "onshi-example.db";
    int64_t now = (int64_t)time(NULL);

    /* The pepper keys the staff passcode's hash: a product keeps it in the OS key store. */
    const uint8_t pepper[32] = "example pepper, not for products";
    const char *password = "correct horse battery staple";

    /* The facility: created with its first admin on first use, opened afterwards. */
    OnshiFacility *facility = NULL;
    check(onshi_facility_open(path, pepper, sizeof pepper, "admin", (const uint8_t *)password,
                              strlen(password), now, &facility),
          "onshi_facility_open");
    OnshiSession *admin = NULL;
    check(onshi_facility_login(facility, "admin", (const uint8_t *)password, strlen(password),
                               now, &admin),
          "onshi_facility_login");
    uint32_t mode = 0;
    if (onshi_facility_reader_mode(facility, 1, &mode) != ONSHI_STATUS_OK)
        check(onshi_facility_add_reader(facility, admin, 1, now), "onshi_facility_add_reader");
    check(onshi_facility_logout(facility, admin, now), "onshi_facility_logout");

    /* The virtual reader, and the patient's card on it. */
    OnshiSimReader *reader = NULL;
    check(onshi_sim_reader_new(&reader), "onshi_sim_reader_new");
    check(onshi_sim_reader_place(reader, "standard", now), "onshi_sim_reader_place");

    /* The visit: the facility's reader 1, the virtual card's trust anchors, default
     * settings, a challenge drawn from the OS (NULL). */
    OnshiVisit *visit = NULL;
    check(onshi_facility_begin_visit(facility, 1, 0, ONSHI_TRUST_VIRTUAL, NULL, now, NULL, &visit),
          "onshi_facility_begin_visit");

    /* A call out of order is refused with a status and a message, and changes nothing. */
    OnshiStatus refused = onshi_visit_consent_answer(visit, now, 1);
    char message[256];
    size_t needed = 0;
    if (onshi_last_error_message(message, sizeof message, &needed) != ONSHI_STATUS_OK)
        strcpy(message, "(message too long)");
    printf("[host] consent before a card: status %d: %s\n", (int)refused, message);

    static uint8_t response[65538];
    int held = 0;    /* inside an exclusive span */
    int pins = 0;    /* PINs entered so far */
    for (;;) {
        /* Card events first: a command meant for a card that changed is never sent. */
        uint32_t event = 0;
        check(onshi_sim_reader_take_card_event(reader, &event), "take_card_event");
        if (event != 0) check(onshi_visit_card_event(visit, now, event), "onshi_visit_card_event");

        OnshiOutput out;
        check(onshi_visit_poll(visit, &out), "onshi_visit_poll");
        if (held && (out.kind != ONSHI_OUTPUT_KIND_TRANSMIT || out.span == ONSHI_SPAN_SHARED) &&
            out.kind != ONSHI_OUTPUT_KIND_SHOW && out.kind != ONSHI_OUTPUT_KIND_AUDIT &&
            out.kind != ONSHI_OUTPUT_KIND_STAFF_NOTICE) {
            check(onshi_sim_reader_end_exclusive(reader), "end_exclusive");
            held = 0;
        }
        switch (out.kind) {
        case ONSHI_OUTPUT_KIND_TRANSMIT: {
            if (out.span != ONSHI_SPAN_SHARED && !held) {
                check(onshi_sim_reader_begin_exclusive(reader), "begin_exclusive");
                held = 1;
            }
            size_t len = 0;
            uint32_t transport_error = 0;
            OnshiStatus sent = onshi_sim_reader_transmit(reader, out.bytes, out.bytes_len, response,
                                                         out.response_capacity, &len, &transport_error);
            if (held && out.span != ONSHI_SPAN_EXCLUSIVE_HOLD) {
                check(onshi_sim_reader_end_exclusive(reader), "end_exclusive");
                held = 0;
            }
            if (sent == ONSHI_STATUS_TRANSPORT)
                check(onshi_visit_transport_failed(visit, now, transport_error), "transport_failed");
            else {
                check(sent, "onshi_sim_reader_transmit");
                check(onshi_visit_card_response(visit, now, response, len), "card_response");
            }
            break;
        }
        case ONSHI_OUTPUT_KIND_SHOW:
            printf("[screen] %s\n", out.text);
            break;
        case ONSHI_OUTPUT_KIND_STAFF_NOTICE:
            printf("[staff]  %s\n", out.text);
            break;
        case ONSHI_OUTPUT_KIND_AUDIT:
            printf("[audit]  %s\n", out.json);
            break;
        case ONSHI_OUTPUT_KIND_CAPTURE_FACE: {
            static uint8_t image[4096];
            size_t len = 0;
            check(onshi_sim_capture_face(1, image, sizeof image, &len), "capture_face");
            check(onshi_visit_face_captured(visit, now, image, len), "face_captured");
            break;
        }
        case ONSHI_OUTPUT_KIND_MATCH_FACE: {
            uint16_t score = 0;
            check(onshi_sim_match_faces(out.bytes, out.bytes_len, out.capture, out.capture_len, &score),
                  "match_faces");
            check(onshi_visit_face_matched(visit, now, score), "face_matched");
            break;
        }
        case ONSHI_OUTPUT_KIND_WAIT:
            /* The people at the reader act on the screen shown (a method can still be changed
             * while the PIN pad is up); a product arms a timer for out.until instead. */
            if (accepts(visit, ONSHI_INPUT_KIND_VERIFICATION_NUMBER_B)) {
                uint8_t digits[32];
                size_t len = 0;
                check(onshi_sim_ocr_verification_number_b("standard", now, digits, sizeof digits, &len),
                      "ocr");
                printf("[ocr]    照合番号B read from the card face\n");
                check(onshi_visit_verification_number_b(visit, now, digits, len), "verification_number_b");
                memset(digits, 0, sizeof digits);
            } else if (accepts(visit, ONSHI_INPUT_KIND_PIN_ENTERED)) {
                const char *pin = pins++ == 0 ? "9999" : "1234";
                printf("[patient] enters a %s PIN\n", pins == 1 ? "wrong" : "right");
                check(onshi_visit_pin_entered(visit, now, (const uint8_t *)pin, 4), "pin_entered");
            } else if (accepts(visit, ONSHI_INPUT_KIND_CONSENT_ANSWER)) {
                printf("[patient] consents\n");
                check(onshi_visit_consent_answer(visit, now, 1), "consent_answer");
            } else if (accepts(visit, ONSHI_INPUT_KIND_PRESCRIPTION_CHOSEN)) {
                printf("[patient] chooses an electronic prescription\n");
                check(onshi_visit_prescription_chosen(visit, now, ONSHI_PRESCRIPTION_ELECTRONIC),
                      "prescription_chosen");
            } else if (accepts(visit, ONSHI_INPUT_KIND_CHOOSE)) {
                printf("[patient] chooses the PIN\n");
                check(onshi_visit_choose(visit, now, ONSHI_METHOD_PIN), "choose");
            } else {
                now = out.until;
                check(onshi_visit_tick(visit, now), "tick");
            }
            break;
        case ONSHI_OUTPUT_KIND_FINISHED:
            printf("outcome: %s\n", out.text);
            goto finished;
        default:
            fprintf(stderr, "unknown output kind %u\n", out.kind);
            return 1;
        }
    }
finished:
    /* Hand the visit back (wrong staff passcodes count across visits), then free everything. */
    check(onshi_facility_finish(facility, visit, now), "onshi_facility_finish");
    check(onshi_facility_verify_audit(facility), "onshi_facility_verify_audit");
    check(onshi_visit_free(visit), "onshi_visit_free");
    check(onshi_sim_reader_free(reader), "onshi_sim_reader_free");
    check(onshi_facility_free(facility), "onshi_facility_free");
    size_t live = 1;
    check(onshi_live_handles(&live), "onshi_live_handles");
    printf("live handles: %zu\n", live);
    return live == 0 ? 0 : 1;
}
