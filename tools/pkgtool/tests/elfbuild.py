"""Builds small ELF-64 files for the tests: exactly the parts tools/pkgtool/elf.py reads
(header, PT_INTERP, .note.tag, .dynamic with .dynstr, .symtab with .strtab, .rodata,
.shstrtab), laid out by hand from the ELF-64 format so the reader is tested against an
independent writer."""

import struct


def _note(name, ntype, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)  # noqa: E731
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def build(osabi=9, machine=62, interp="/libexec/ld-elf.so.1", needed=("libc.so.7",), osversion=1400500,
          symbols=("main",), rodata=b"hello", soname=None, elfclass=2, verneed=None):
    sections = []  # (name, type, data, link, entsize)
    if interp is not None:
        sections.append((".interp", 1, interp.encode() + b"\0", 0, 0))
    if osversion is not None:
        sections.append((".note.tag", 7, _note("FreeBSD", 1, struct.pack("<I", osversion)) +
                         _note("FreeBSD", 4, struct.pack("<I", 0)), 0, 0))
    dynstr = b"\0"
    dyn = b""
    for lib in needed:
        dyn += struct.pack("<qQ", 1, len(dynstr))
        dynstr += lib.encode() + b"\0"
    if soname:
        dyn += struct.pack("<qQ", 14, len(dynstr))
        dynstr += soname.encode() + b"\0"
    dyn += struct.pack("<qQ", 0, 0)
    vr = b""
    for i, (lib, names) in enumerate((verneed or {}).items()):
        file_off = len(dynstr)
        dynstr += lib.encode() + b"\0"
        last = i == len(verneed) - 1
        vr += struct.pack("<HHIII", 1, len(names), file_off, 16, 0 if last else 16 + 16 * len(names))
        for j, n in enumerate(names):
            name_off = len(dynstr)
            dynstr += n.encode() + b"\0"
            vr += struct.pack("<IHHII", 0, 0, 2 + j, name_off, 0 if j == len(names) - 1 else 16)
    sections.append((".dynstr", 3, dynstr, 0, 0))
    dynstr_index = len(sections)  # index after the null section
    if vr:
        sections.append((".gnu.version_r", 0x6FFFFFFE, vr, dynstr_index, 0))
    sections.append((".dynamic", 6, dyn, dynstr_index, 16))
    strtab = b"\0"
    symtab = b"\0" * 24
    for s in symbols:
        symtab += struct.pack("<IBBHQQ", len(strtab), 0x12, 0, 1, 0x1000, 16)
        strtab += s.encode() + b"\0"
    sections.append((".strtab", 3, strtab, 0, 0))
    strtab_index = len(sections)
    sections.append((".symtab", 2, symtab, strtab_index, 24))
    sections.append((".rodata", 1, rodata, 0, 0))
    names = b"\0"
    name_off = []
    for s in sections:
        name_off.append(len(names))
        names += s[0].encode() + b"\0"
    name_off.append(len(names))
    names += b".shstrtab\0"
    sections.append((".shstrtab", 3, names, 0, 0))

    phnum = 1 if interp is not None else 0
    off = 64 + 56 * phnum
    body = b""
    placed = []
    for (_, _, data, _, _) in sections:
        placed.append(off + len(body))
        body += data + b"\0" * (-len(data) % 8)
    shoff = off + len(body)
    shnum = len(sections) + 1
    ident = b"\x7fELF" + bytes([elfclass, 1, 1, osabi]) + b"\0" * 8
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x1000, 64 if phnum else 0, shoff, 0, 64, 56, phnum,
                              64, shnum, shnum - 1)
    ph = b""
    if interp is not None:
        ph = struct.pack("<IIQQQQQQ", 3, 4, placed[0], 0, 0, len(sections[0][2]), len(sections[0][2]), 1)
    sh = b"\0" * 64
    for i, (_, stype, data, link, entsize) in enumerate(sections):
        sh += struct.pack("<IIQQQQIIQQ", name_off[i], stype, 0, 0, placed[i], len(data), link, 0, 8, entsize)
    return hdr + ph + body + sh
