#!/bin/sh
# Writes landwatch.pc (pkg-config) from bindings-c/landwatch.pc.in, and
# installs liblandwatch.
#
#   bindings-c/pkgconfig.sh [--profile debug|release]
#       For a build in this checkout: writes target/PROFILE/pkgconfig/
#       landwatch.pc, whose libdir is target/PROFILE and includedir
#       bindings-c/include, so that after `cargo build -p landwatch-c`
#           PKG_CONFIG_PATH=target/debug/pkgconfig pkg-config --cflags --libs landwatch
#       gives the flags to build against it.
#
#   bindings-c/pkgconfig.sh --prefix DIR [--libdir DIR] [--includedir DIR] [-o FILE]
#       For an installed library: prints (or writes to FILE) landwatch.pc
#       for DIR (libdir DIR/lib, includedir DIR/include unless given).
#
#   bindings-c/pkgconfig.sh --install --prefix DIR [--profile release] [--libdir DIR] [--includedir DIR]
#       Installs the built library, the header and landwatch.pc under
#       $DESTDIR (if set) and DIR; that is, by hand:
#           cargo build --release -p landwatch-c
#           install -Dm644 bindings-c/include/landwatch.h  DIR/include/landwatch.h
#           install -Dm755 target/release/liblandwatch.so  DIR/lib/liblandwatch.so
#           install -Dm644 target/release/liblandwatch.a   DIR/lib/liblandwatch.a
#           bindings-c/pkgconfig.sh --prefix DIR -o DIR/lib/pkgconfig/landwatch.pc
#           ldconfig    # for a system directory such as /usr/local/lib
#       then `pkg-config --cflags --libs landwatch` (with
#       PKG_CONFIG_PATH=DIR/lib/pkgconfig when DIR is not searched).
#
# The version is the workspace's ([workspace.package] in Cargo.toml), which
# lw_version() returns too.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
profile=debug
prefix=
libdir=
includedir=
output=
install=0
while [ $# -gt 0 ]; do
    case $1 in
        --profile) profile=$2; shift 2 ;;
        --prefix) prefix=$2; shift 2 ;;
        --libdir) libdir=$2; shift 2 ;;
        --includedir) includedir=$2; shift 2 ;;
        -o) output=$2; shift 2 ;;
        --install) install=1; shift ;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "pkgconfig.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml")
url=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^repository *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml")
if [ -z "$version" ]; then
    echo "pkgconfig.sh: no version in [workspace.package] of $root/Cargo.toml" >&2
    exit 1
fi
# Keep in step with STATIC_LIBS in bindings-c/examples/Makefile.
private_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl"

if [ -z "$prefix" ]; then
    if [ "$install" = 1 ]; then
        echo "pkgconfig.sh: --install needs --prefix" >&2
        exit 2
    fi
    # A build in the checkout: the library and header where they are.
    prefix=$root
    libdir=${libdir:-$root/target/$profile}
    includedir=${includedir:-$root/bindings-c/include}
    output=${output:-$root/target/$profile/pkgconfig/landwatch.pc}
else
    libdir=${libdir:-$prefix/lib}
    includedir=${includedir:-$prefix/include}
fi

# The made file's paths: ${prefix}-relative when under the prefix, so
# that pkg-config --define-prefix and relocation keep working.
rel() {
    case $1 in
        "$prefix"/*) printf '${prefix}%s' "${1#"$prefix"}" ;;
        *) printf '%s' "$1" ;;
    esac
}

# A value made safe for the right side of sed's s|...|...|.
esc() {
    printf '%s' "$1" | sed 's/[|&\\]/\\&/g'
}

make_pc() {
    sed -e "s|@PREFIX@|$(esc "$prefix")|" \
        -e "s|@LIBDIR@|$(esc "$(rel "$libdir")")|" \
        -e "s|@INCLUDEDIR@|$(esc "$(rel "$includedir")")|" \
        -e "s|@VERSION@|$(esc "$version")|" \
        -e "s|@URL@|$(esc "$url")|" \
        -e "s|@PRIVATE_LIBS@|$(esc "$private_libs")|" \
        "$root/bindings-c/landwatch.pc.in"
}

if [ "$install" = 1 ]; then
    dest=${DESTDIR:-}
    built=$root/target/$profile
    for f in liblandwatch.so liblandwatch.a; do
        if [ ! -f "$built/$f" ]; then
            echo "pkgconfig.sh: $built/$f is missing (cargo build --release -p landwatch-c, or --profile debug)" >&2
            exit 1
        fi
    done
    install -Dm644 "$root/bindings-c/include/landwatch.h" "$dest$includedir/landwatch.h"
    install -Dm755 "$built/liblandwatch.so" "$dest$libdir/liblandwatch.so"
    install -Dm644 "$built/liblandwatch.a" "$dest$libdir/liblandwatch.a"
    mkdir -p "$dest$libdir/pkgconfig"
    make_pc > "$dest$libdir/pkgconfig/landwatch.pc"
    echo "installed liblandwatch $version under $dest$prefix (pkg-config: $dest$libdir/pkgconfig/landwatch.pc)"
    exit 0
fi

if [ -n "$output" ]; then
    mkdir -p "$(dirname "$output")"
    make_pc > "$output.tmp"
    mv "$output.tmp" "$output"
else
    make_pc
fi
