#!/usr/bin/env bash
# Runs eligo's fuzz targets on the stable toolchain (libFuzzer, no sanitizer).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); TARGETs default to every target in
# fuzz/Cargo.toml. cargo-fuzz is installed into target/tools if missing.
# Each target starts from its committed seeds (fuzz/corpus/TARGET, read
# only) and a working corpus in fuzz/target/corpus/TARGET, where new
# inputs go. Exits non-zero if any target finds a crash, a timeout or an
# out-of-memory input, and prints the input's path and the commands to
# reproduce and minimize it (fuzz/README.md says how it then becomes a
# regression test).
#
# Environment: FUZZ_JOBS (libFuzzer processes per target, default 1),
# FUZZ_ARGS (more libFuzzer options).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-60}"
shift || true
case "$SECONDS_PER_TARGET" in
    '' | *[!0-9]*)
        echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2
        exit 2
        ;;
esac

CARGO_FUZZ_VERSION=0.13.2
TOOLS="$PWD/target/tools"
export PATH="$TOOLS/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION into target/tools"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$TOOLS"
fi

ALL_TARGETS=(parse evaluate catalog_json catalog_toml catalog_gateway_yaml
    catalog_provider_policies catalog_litellm target_json)
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi
for t in "${TARGETS[@]}"; do
    if [ ! -f "fuzz/fuzz_targets/$t.rs" ]; then
        echo "unknown fuzz target \`$t\` (known: ${ALL_TARGETS[*]})" >&2
        exit 2
    fi
done

# Longest input libFuzzer makes for a target, in bytes.
max_len() {
    case "$1" in
        parse) echo 4096 ;;
        evaluate) echo 1024 ;;
        target_json) echo 2048 ;;
        *) echo 8192 ;;
    esac
}

BUILD=(--sanitizer none)
echo "== building the fuzz targets"
start=$(date +%s)
cargo fuzz build "${BUILD[@]}"
echo "== built in $(($(date +%s) - start)) s"

failed=()
for t in "${TARGETS[@]}"; do
    work="fuzz/target/corpus/$t"
    artifacts="fuzz/artifacts/$t"
    log="fuzz/target/logs/$t.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    args=(
        -max_total_time="$SECONDS_PER_TARGET"
        -max_len="$(max_len "$t")"
        -timeout=10
        -rss_limit_mb=2048
        -print_final_stats=1
        -artifact_prefix="$artifacts/"
    )
    # The dictionary helps the targets that read text; `evaluate` decodes
    # its bytes as choices.
    if [ "$t" != evaluate ]; then
        args+=(-dict=fuzz/eligo.dict)
    fi
    if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
        args+=(-fork="$FUZZ_JOBS" -ignore_crashes=0)
    fi
    # shellcheck disable=SC2206
    args+=(${FUZZ_ARGS:-})
    echo "== $t: ${SECONDS_PER_TARGET} s"
    start=$(date +%s)
    # New inputs go to the first corpus directory (the working copy); the
    # committed seeds are only read.
    if cargo fuzz run "${BUILD[@]}" "$t" "$work" "fuzz/corpus/$t" -- "${args[@]}" >"$log" 2>&1; then
        echo "   ok in $(($(date +%s) - start)) s: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs, corpus $(find "$work" -type f | wc -l) inputs"
    else
        failed+=("$t")
        echo "   FAILED after $(($(date +%s) - start)) s; log: $log"
        grep -E -A1 '^thread .* panicked' "$log" | head -2 | cut -c1-300 | sed 's/^/   /' || true
        grep -E '^(==[0-9]+== ERROR|SUMMARY)' "$log" | head -2 | sed 's/^/   /' || true
        artifact=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //' || true)
        if [ -n "$artifact" ]; then
            echo "   input:     $artifact"
            echo "   reproduce: PATH=\"target/tools/bin:\$PATH\" cargo fuzz run --sanitizer none $t $artifact"
            echo "   minimize:  PATH=\"target/tools/bin:\$PATH\" cargo fuzz tmin --sanitizer none $t $artifact"
        else
            tail -20 "$log" | sed 's/^/   /'
        fi
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "== fuzzing found problems in: ${failed[*]}"
    exit 1
fi
echo "== no problem found in: ${TARGETS[*]}"
