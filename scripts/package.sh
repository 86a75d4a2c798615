#!/usr/bin/env bash
# Builds the Debian package from Cargo.toml's [package.metadata.deb] with cargo-deb,
# then checks it with lintian (errors fail; warnings are listed).
#   scripts/package.sh           installs cargo-deb (pinned, from crates.io) when
#                                missing, builds the release binary, and writes
#                                target/deb/supervisord-mcp_VERSION-1_ARCH.deb
#   scripts/package.sh --debug   packages the debug binary already built (stripped,
#                                lighter compression) into target/deb-debug/:
#                                what the install test (tests/package.rs) does; it
#                                installs and builds nothing
#   scripts/package.sh --tools   only installs what the others need: cargo-deb, and
#                                lintian and dpkg-dev with apt-get (as root; CI)
# Either way the man page and the shell completions are first written to
# target/deb-assets/ by the binary packaged. The .deb's path is the last line on
# stdout. Needs lintian and dpkg-dev, and for the install test man-db, systemd and adduser
# (Debian: apt-get install lintian dpkg-dev man-db systemd adduser; --tools does it).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_DEB_VERSION=3.8.0
CARGO_DEB_INSTALL="cargo install cargo-deb --version $CARGO_DEB_VERSION --locked"

debug=false
tools=false
case "${1:-}" in
  "") ;;
  --debug) debug=true ;;
  --tools) tools=true ;;
  *) echo "usage: scripts/package.sh [--debug | --tools]" >&2; exit 2 ;;
esac
fail() { echo "package: $*" >&2; exit 1; }

# What building and checking the .deb needs, and what tests/package.rs uses of the
# installed one (man-db, systemd-analyze, adduser), absent from minimal images.
missing=
for t in lintian:lintian dpkg-parsechangelog:dpkg-dev man:man-db systemd-analyze:systemd adduser:adduser; do
  tool=${t%%:*}
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || missing="$missing ${t#*:}"
done
if [ -n "$missing" ]; then
  $tools || fail "missing:$missing (apt-get install$missing)"
  echo "package: installing$missing (apt-get)" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
  $debug && fail "cargo-deb $CARGO_DEB_VERSION is missing: $CARGO_DEB_INSTALL"
  echo "package: installing cargo-deb $CARGO_DEB_VERSION (a few minutes)" >&2
  $CARGO_DEB_INSTALL --quiet
fi
$tools && exit 0

target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if $debug; then
  bin=$target_dir/debug/supervisord-mcp
  [ -x "$bin" ] || fail "$bin is missing: cargo build"
  out=target/deb-debug
  # cargo-deb warns that the dev profile is not for releases: this one is for tests.
  args=(--profile dev --fast --quiet)
else
  cargo build --release --locked
  bin=$target_dir/release/supervisord-mcp
  out=target/deb
  args=()
fi

# What the package ships beside the binary, written by the binary itself.
assets=target/deb-assets
rm -rf "$assets"
mkdir -p "$assets"
"$bin" man >"$assets/supervisord-mcp.1"
"$bin" completions bash >"$assets/supervisord-mcp.bash"
"$bin" completions zsh >"$assets/_supervisord-mcp"
"$bin" completions fish >"$assets/supervisord-mcp.fish"

# Not cargo-deb's target/debian: it deletes every .deb of the package there at each
# run, so the debug one would delete the release one.
rm -rf "$out"
deb=$(cargo deb --no-build --strip --output "$out" "${args[@]}" | tail -n 1)
[ -f "$deb" ] || fail "cargo deb made no package"
# The changelog's newest entry must be this version (lintian does not check).
version=$(dpkg-deb --field "$deb" Version)
logged=$(dpkg-parsechangelog --file packaging/changelog --show-field Version)
[ "$version" = "$logged" ] ||
  fail "packaging/changelog's newest entry is $logged, the package $version: add an entry (dch -v $version)"
echo "package: lintian $deb" >&2
# Exits non-zero on errors; shows warnings too. (It warns when run as root.)
lintian --display-level '>=warning' "$deb" >&2
echo "package: lintian found no errors" >&2
echo "$deb"
