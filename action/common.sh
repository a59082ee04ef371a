# shellcheck shell=bash
# Shared by the action's steps (sourced, not run).

# An error annotation on the run's summary page, then the step fails.
fail() {
    echo "::error title=zeeg::$1" >&2
    exit 1
}

# A step output. Values are single lines: a line break would let one value
# write others.
output() {
    case $2 in
    *$'\n'* | *$'\r'*) fail "internal: the output $1 holds a line break" ;;
    esac
    echo "$1=$2" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this runs as a step of the zeeg action}"
}
