#!/usr/bin/env bash
# Step 2 of the zeeg action: put zeeg VERSION for TARGET into DIR/bin and on
# PATH. From the cache when DIR already holds it; else the release archive,
# checked against its published SHA-256 before anything is unpacked; else,
# when no archive fits this runner, built with `cargo install --locked`.
#
# Reads ZEEG_VERSION, ZEEG_TARGET, ZEEG_ARCHIVE, ZEEG_DIR, ZEEG_RELEASES and
# ZEEG_REPOSITORY (resolve.sh's outputs), RUNNER_TEMP, GITHUB_PATH.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"

version=${ZEEG_VERSION:?} target=${ZEEG_TARGET:-} archive=${ZEEG_ARCHIVE:-}
dir=${ZEEG_DIR:?} releases=${ZEEG_RELEASES:?} repository=${ZEEG_REPOSITORY:?}
bin=$dir/bin
case ${target:-${RUNNER_OS:-}} in
*-windows-* | Windows) exe=zeeg.exe ;;
*) exe=zeeg ;;
esac

# fetch URL FILE: 0 when fetched; 44 when there is no such file (HTTP 404,
# or a file:// path that does not exist); anything else fails the step.
fetch() {
    local code status=0
    code=$(curl --proto '=https,http,file' -sS -L --retry 3 -o "$2" -w '%{http_code}' "$1") || status=$?
    if [ "$status" = 37 ] || [ "$code" = 404 ]; then
        return 44
    fi
    [ "$status" = 0 ] || fail "could not download $1 (curl exit $status)"
    case $code in
    2?? | 000) ;; # 000: file://, which has no status
    *) fail "could not download $1: HTTP $code" ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null; then
        sha256sum "$1"
    else
        shasum -a 256 "$1"
    fi | cut -d ' ' -f 1
}

# A binary cached for another version or target would be wrong, but the
# cache key and DIR both name them, so presence is enough.
if [ -x "$bin/$exe" ]; then
    echo "zeeg $version restored from the cache ($bin)."
    source=cache
else
    work=$(mktemp -d "${RUNNER_TEMP:-/tmp}/zeeg-install.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    fetched=44
    if [ -n "$archive" ]; then
        url=$releases/download/v$version/$archive
        fetched=0
        fetch "$url" "$work/$archive" || fetched=$?
    fi
    if [ "$fetched" = 0 ]; then
        fetch "$url.sha256" "$work/$archive.sha256" ||
            fail "$url.sha256 does not exist: the archive cannot be verified, so it is not installed"
        # `HASH  NAME`, as sha256sum writes it.
        expected=$(cut -d ' ' -f 1 <"$work/$archive.sha256" | head -n 1 | tr 'A-F' 'a-f')
        actual=$(sha256_of "$work/$archive")
        if [ "$expected" != "$actual" ]; then
            fail "checksum mismatch for $archive: $url.sha256 says $expected, the download is $actual. The archive is corrupt or not the one released; nothing was installed."
        fi
        echo "$archive: SHA-256 $actual, as published."
        mkdir -p "$work/unpacked" "$bin"
        case $archive in
        # A .zip holds the files at its top, a .tar.xz in a folder named after it.
        *.zip) unzip -q "$work/$archive" -d "$work/unpacked" ;;
        *) tar -xJf "$work/$archive" -C "$work/unpacked" --strip-components 1 ;;
        esac
        [ -f "$work/unpacked/$exe" ] || fail "$archive holds no $exe"
        mv "$work/unpacked/$exe" "$bin/$exe"
        chmod +x "$bin/$exe"
        source=archive
    else
        if [ -n "$archive" ]; then
            why="The release v$version has no $archive."
        else
            why="No release archive is built for ${RUNNER_OS:-this OS} on ${RUNNER_ARCH:-this architecture}."
        fi
        command -v cargo >/dev/null ||
            fail "$why Building zeeg from source needs cargo: add a Rust toolchain step (e.g. dtolnay/rust-toolchain@stable) before this one."
        echo "::notice title=zeeg built from source::$why Building zeeg $version with cargo install --locked instead: this takes minutes, once per version (the binary is cached)."
        cargo install --locked --root "$dir" --git "$repository" --tag "v$version" zeeg
        [ -x "$bin/$exe" ] || fail "cargo install finished but left no $bin/$exe"
        source=cargo
    fi
fi

echo "$bin" >>"${GITHUB_PATH:?}"
output source "$source"
output path "$bin/$exe"
