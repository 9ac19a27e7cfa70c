#!/usr/bin/env bash
# Builds onshi's C ABI and runs one of its examples: a whole visit on the virtual card.
#
#   bash onshi-ffi/examples/run.sh c          # C, with the system C compiler
#   bash onshi-ffi/examples/run.sh c-valgrind # the same C program under valgrind
#   bash onshi-ffi/examples/run.sh csharp     # C#, built with Mono's mcs and run with mono
#
# Needs: cc (C), valgrind (c-valgrind), mono-mcs and mono-runtime (csharp).
set -euo pipefail
cd "$(dirname "$0")/../.."
which=${1:-c}
cargo build -q -p onshi-ffi
lib=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug
out=$lib/ffi-examples
mkdir -p "$out"
rm -f "$out/onshi-example.db" "$out/onshi-example.db-wal" "$out/onshi-example.db-shm"
case $which in
c | c-valgrind)
    cc -std=c11 -Wall -Wextra -Werror -g -o "$out/visit" onshi-ffi/examples/c/visit.c \
        -Ionshi-ffi/include -L"$lib" -lonshi_ffi -Wl,-rpath,"$lib"
    if [[ $which == c-valgrind ]]; then
        valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
            --show-leak-kinds=definite,indirect,possible "$out/visit" "$out/onshi-example.db"
    else
        "$out/visit" "$out/onshi-example.db"
    fi
    ;;
csharp)
    mcs -nologo -unsafe -warnaserror+ -out:"$out/Visit.exe" \
        onshi-ffi/bindings/csharp/NativeMethods.g.cs onshi-ffi/bindings/csharp/Onshi.cs \
        onshi-ffi/examples/csharp/Visit.cs
    LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono "$out/Visit.exe" "$out/onshi-example.db"
    ;;
*)
    echo "usage: $0 c | c-valgrind | csharp" >&2
    exit 2
    ;;
esac
