#!/usr/bin/env bash
# build.sh OUTPUT.elf: builds the vxguest multiboot kernel (a 32-bit ELF, as QEMU's multiboot
# loader wants). Needs gcc with 32-bit support (gcc-multilib on Debian) and binutils.
set -euo pipefail
out=${1:?usage: build.sh OUTPUT.elf}
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cflags=(-m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
    -fno-asynchronous-unwind-tables -mgeneral-regs-only -O2 -Wall -Wextra -Werror)
gcc "${cflags[@]}" -c "$src/vxguest.c" -o "$tmp/vxguest.o"
gcc -m32 -c "$src/head.S" -o "$tmp/head.o"
ld -m elf_i386 -nostdlib --no-warn-rwx-segments -T "$src/vxguest.ld" -o "$tmp/vxguest.elf" \
    "$tmp/head.o" "$tmp/vxguest.o"
mkdir -p "$(dirname "$out")"
mv "$tmp/vxguest.elf" "$out"
