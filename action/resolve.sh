#!/usr/bin/env bash
# Step 1 of the zeeg action: check the inputs, then decide which zeeg to
# install and where, before anything is downloaded. The cache is keyed on
# what this prints, so it runs before the cache is restored.
#
# Reads INPUT_VERSION, INPUT_COMMAND, INPUT_COMMENT, RUNNER_OS, RUNNER_ARCH,
# RUNNER_TOOL_CACHE (or RUNNER_TEMP), and ZEEG_RELEASES_URL to download from
# somewhere else than the repository's GitHub releases (a mirror, a test).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"

case ${INPUT_COMMAND:-} in
"" | plan | apply | validate) ;;
*) fail "command: '${INPUT_COMMAND}' is not one of plan, apply, validate (or empty, to only install zeeg)" ;;
esac
case ${INPUT_COMMENT:-false} in
false | "") ;;
true) [ "${INPUT_COMMAND:-}" = plan ] || fail "comment: true needs command: plan (the comment shows a plan)" ;;
*) fail "comment: '${INPUT_COMMENT}' is neither true nor false" ;;
esac

# The action's checkout is the zeeg repository at the action's ref, so its
# Cargo.toml names the release that ref is (the default version) and where
# releases live. GitHub leaves github.action_repository empty in composite
# actions, so this is the one reliable source.
manifest="$here/../Cargo.toml"
package_key() {
    sed -n "s/^$1 = \"\(.*\)\"\$/\1/p" "$manifest" | head -n 1
}
repository=$(package_key repository)
[ -n "$repository" ] || fail "no repository in $manifest: the action's checkout is incomplete"
releases=${ZEEG_RELEASES_URL:-$repository/releases}
releases=${releases%/}

requested=${INPUT_VERSION:-}
case $requested in
"")
    version=$(package_key version)
    ;;
latest)
    # GitHub answers /releases/latest with a redirect to the newest
    # release's page (/releases/tag/vX.Y.Z): no API call, no rate limit.
    page=$(curl --proto '=https,http' -sS -I -L --retry 3 -o /dev/null -w '%{url_effective}' "$releases/latest") ||
        fail "could not ask $releases/latest which release is the latest"
    case $page in
    */tag/v*) version=${page##*/tag/v} ;;
    *) fail "$releases/latest led to $page, not to a release: is there a published release?" ;;
    esac
    ;;
*)
    version=${requested#v}
    ;;
esac
# The version names a folder, a cache key and a URL: nothing but a semver.
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
    fail "version: '${requested:-$version}' is not a version like 0.1.0 (or v0.1.0, or latest)"
fi

# The targets dist-workspace.toml builds; anything else is built from source.
case ${RUNNER_OS:-}/${RUNNER_ARCH:-} in
Linux/X64) target=x86_64-unknown-linux-musl ;;
Linux/ARM64) target=aarch64-unknown-linux-musl ;;
macOS/X64) target=x86_64-apple-darwin ;;
macOS/ARM64) target=aarch64-apple-darwin ;;
Windows/X64) target=x86_64-pc-windows-msvc ;;
*) target="" ;;
esac
case $target in
*-windows-*) archive=zeeg-$target.zip ;;
"") archive="" ;;
*) archive=zeeg-$target.tar.xz ;;
esac
platform=${target:-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-source}
root=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:?neither RUNNER_TOOL_CACHE nor RUNNER_TEMP is set}}

output version "$version"
output repository "$repository"
output releases "$releases"
output target "$target"
output archive "$archive"
output dir "$root/zeeg/$version/$platform"
output cache-key "zeeg-$version-$platform"
echo "zeeg $version for ${target:-this runner (no release archive; built from source)}"
