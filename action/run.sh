#!/usr/bin/env bash
# Step 3 of the zeeg action: run `zeeg COMMAND PATHS ARGS` and turn what it
# did into the step's outputs (exitcode, has-changes, plan-json, summary, and
# for the comment step status and plan-markdown).
#
# Reads INPUT_COMMAND, INPUT_PATHS, INPUT_ARGS, INPUT_COMMENT, INPUT_TOKEN
# (else ZEEG_API_TOKEN), RUNNER_TEMP, GITHUB_OUTPUT.
#
# zeeg itself is on PATH, unwrapped: its stdout here goes to the log, and a
# later step's `$(zeeg …)` gets exactly what zeeg prints.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"

command=${INPUT_COMMAND:?}
out=$(mktemp -d "${RUNNER_TEMP:?}/zeeg.XXXXXX")
# Split on blanks and new lines, never glob: `*.yaml` reaches zeeg as typed.
set -f
# shellcheck disable=SC2206
paths=(${INPUT_PATHS:-})
# shellcheck disable=SC2206
args=(${INPUT_ARGS:-})
set +f
# (`${a[@]+"${a[@]}"}` below: an empty array is "unbound" to the bash 3.2
# that macOS runners may have.)

token=${INPUT_TOKEN:-${ZEEG_API_TOKEN:-}}
unset INPUT_TOKEN ZEEG_API_TOKEN

# What zeeg prints quotes the people files, which a pull request writes: a
# line there that looks like a workflow command (`::warning::`, …) must stay
# text. Commands are off while zeeg runs, with a key nobody can guess.
commands_off() {
    stop_key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    echo "::stop-commands::$stop_key"
}
commands_on() {
    echo "::$stop_key::"
}

# What an exit code means, for the error annotation (README "Exit codes").
meaning() {
    case $1 in
    1) echo "an error: see the log above" ;;
    2) echo "changes" ;;
    3) echo "some entries failed: the log names each with its reason; rerunning converges" ;;
    4) echo "the saved plan is stale for some entries (the rest were applied)" ;;
    101) echo "zeeg crashed" ;;
    126 | 127) echo "zeeg could not be run" ;;
    130) echo "interrupted" ;;
    *) echo "unexpected" ;;
    esac
}

# One line from zeeg's JSON summaries: `companies: 1 create, …; people: 8
# create, 9 update, 11 unchanged`. The people's summary is at the top level,
# every other kind's under its own key.
summarise() {
    jq -r '
      def counts: to_entries | map("\(.value) \(.key)") | join(", ");
      [ (to_entries[] | select(.value | type == "object" and has("summary"))
           | "\(.key): \(.value.summary | counts)"),
        "people: \(.summary | counts)" ] | join("; ")' "$1"
}

# The last line a command printed (its own summary line).
last_line() {
    grep -v '^[[:space:]]*$' "$1" | tail -n 1
}

finish() {
    local code=$1
    output exitcode "$code"
    if [ "$code" = 0 ] || { [ "$command" = plan ] && [ "$code" = 2 ]; }; then
        exit 0
    fi
    echo "::error title=zeeg $command failed::zeeg $command exited with $code ($(meaning "$code"))" >&2
    exit 1
}

code=0
case $command in
validate)
    commands_off
    # Its summary line is on stderr: a copy goes to a file, the rest as is.
    { zeeg validate ${paths[@]+"${paths[@]}"} ${args[@]+"${args[@]}"} 2>&1 1>&3 | tee "$out/validate.log" >&2; } 3>&1
    code=${PIPESTATUS[0]}
    commands_on
    output status "$([ "$code" = 0 ] && echo valid || echo failed)"
    output summary "$(last_line "$out/validate.log")"
    finish "$code"
    ;;
plan)
    if [ -z "$token" ]; then
        # Offline checks need no token, so pull requests from forks get them.
        commands_off
        zeeg validate ${paths[@]+"${paths[@]}"} || code=$?
        commands_on
        if [ "$code" != 0 ]; then
            output status failed
            finish "$code"
        fi
        echo "::notice title=zeeg plan skipped::No Zeeg API token for this run (pull requests from forks get no secrets), so the files were validated but not planned."
        output status skipped
        output summary "skipped: no Zeeg API token"
        exit 0
    fi
    commands_off
    ZEEG_API_TOKEN=$token zeeg plan ${paths[@]+"${paths[@]}"} ${args[@]+"${args[@]}"} --format json --detailed-exitcode >"$out/plan.json" || code=$?
    if { [ "$code" = 0 ] || [ "$code" = 2 ]; } && [ "${INPUT_COMMENT:-false}" = true ]; then
        mcode=0
        ZEEG_API_TOKEN=$token zeeg plan ${paths[@]+"${paths[@]}"} ${args[@]+"${args[@]}"} --format markdown >"$out/plan.md" || mcode=$?
        [ "$mcode" = 0 ] || code=$mcode
    fi
    commands_on
    if [ "$code" != 0 ] && [ "$code" != 2 ]; then
        output status failed
        finish "$code"
    fi
    output status planned
    output has-changes "$([ "$code" = 2 ] && echo true || echo false)"
    output plan-json "$out/plan.json"
    [ -f "$out/plan.md" ] && output plan-markdown "$out/plan.md"
    summary=$(summarise "$out/plan.json") || fail "zeeg plan wrote no readable JSON to $out/plan.json"
    output summary "$summary"
    echo "zeeg plan: $summary"
    finish "$code"
    ;;
apply)
    commands_off
    # No one can answer a confirmation prompt in CI.
    ZEEG_API_TOKEN=$token zeeg apply ${paths[@]+"${paths[@]}"} ${args[@]+"${args[@]}"} --auto-approve | tee "$out/apply.log"
    code=${PIPESTATUS[0]}
    commands_on
    output status "$([ "$code" = 0 ] && echo applied || echo failed)"
    output summary "$(last_line "$out/apply.log")"
    finish "$code"
    ;;
esac
