"""The ELF facts vimage's release checks and its package need, read with the standard library.

Written from the ELF-64 object file format (header, program and section headers, notes,
.dynamic, symbol tables) and FreeBSD's note conventions: a FreeBSD binary carries OS/ABI
ELFOSABI_FREEBSD (9) in e_ident and a ".note.tag" section whose note named "FreeBSD" of type
NT_FREEBSD_ABI_TAG (1) holds __FreeBSD_version as a 32-bit word (sys/sys/elf_common.h,
lib/csu/common/crtbrand.S). Only 64-bit little-endian objects are read (amd64 is the target);
anything else is refused with a message rather than misread.
"""

import struct
from dataclasses import dataclass, field

ELFOSABI_FREEBSD = 9
EM_X86_64 = 62
PT_INTERP = 3
SHT_SYMTAB = 2
SHT_NOTE = 7
SHT_NOBITS = 8
SHT_DYNSYM = 11
SHT_DYNAMIC = 6
SHT_GNU_VERNEED = 0x6FFFFFFE
DT_NULL = 0
DT_NEEDED = 1
DT_SONAME = 14
NT_FREEBSD_ABI_TAG = 1

OSABI_NAMES = {0: "System V", 3: "Linux (GNU)", 9: "FreeBSD", 12: "OpenBSD", 2: "NetBSD"}
MACHINE_NAMES = {62: "x86-64", 183: "AArch64", 3: "i386"}


class ElfError(Exception):
    """The file is not an ELF object this module can read (the message says why)."""


@dataclass
class Section:
    """One section header, with its name resolved."""

    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    entsize: int


@dataclass
class Note:
    """One note record: the owner name, the type and the descriptor bytes."""

    section: str
    name: str
    type: int
    desc: bytes


@dataclass
class Elf:
    """What vimage's checks read from one ELF file."""

    path: str
    data: bytes
    osabi: int
    machine: int
    etype: int
    sections: list = field(default_factory=list)
    interpreter: str = None
    notes: list = field(default_factory=list)
    needed: list = field(default_factory=list)
    soname: str = None
    version_needs: dict = field(default_factory=dict)  # library -> [version names], from .gnu.version_r

    def section(self, name):
        """The first section called `name`, or None."""
        return next((s for s in self.sections if s.name == name), None)

    def has_symtab(self):
        """Whether the static symbol table (.symtab) is still there, i.e. not stripped."""
        return any(s.type == SHT_SYMTAB for s in self.sections)

    def freebsd_osversion(self):
        """__FreeBSD_version from the NT_FREEBSD_ABI_TAG note in .note.tag, or None."""
        for n in self.notes:
            if n.section == ".note.tag" and n.name == "FreeBSD" and n.type == NT_FREEBSD_ABI_TAG:
                if len(n.desc) >= 4:
                    return struct.unpack_from("<I", n.desc)[0]
        return None

    def symbols(self):
        """Every symbol name in .symtab and .dynsym (duplicates included)."""
        out = []
        for s in self.sections:
            if s.type not in (SHT_SYMTAB, SHT_DYNSYM) or s.entsize == 0:
                continue
            strtab = self.sections[s.link] if s.link < len(self.sections) else None
            if strtab is None:
                continue
            for off in range(s.offset, s.offset + s.size - s.entsize + 1, s.entsize):
                st_name = struct.unpack_from("<I", self.data, off)[0]
                if st_name:
                    out.append(_cstr(self.data, strtab.offset + st_name, strtab.offset + strtab.size))
        return out


def _cstr(data, start, end=None):
    """The NUL-terminated string at `start` (bounded by `end`), decoded leniently."""
    end = len(data) if end is None else min(end, len(data))
    if start >= end:
        raise ElfError(f"string offset {start} lies outside its table")
    stop = data.find(b"\0", start, end)
    if stop < 0:
        stop = end
    return data[start:stop].decode("utf-8", "replace")


def _need(data, off, size, what):
    if off < 0 or off + size > len(data):
        raise ElfError(f"truncated: {what} at offset {off} runs past the end of the file ({len(data)} bytes)")


def parse(path, data=None):
    """Reads the ELF file at `path` (or the bytes `data`) into an [Elf]."""
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    if len(data) < 64 or data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file (no \\x7fELF magic)")
    if data[4] != 2:
        raise ElfError(f"not a 64-bit ELF (EI_CLASS {data[4]})")
    if data[5] != 1:
        raise ElfError(f"not little-endian (EI_DATA {data[5]})")
    (etype, machine, _version, _entry, phoff, shoff, _flags, _ehsize, phentsize, phnum, shentsize, shnum,
     shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    elf = Elf(path=path, data=data, osabi=data[7], machine=machine, etype=etype)

    raw = []
    if shoff:
        if shentsize != 64:
            raise ElfError(f"unexpected section header size {shentsize}")
        for i in range(shnum):
            _need(data, shoff + i * 64, 64, f"section header {i}")
            raw.append(struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * 64))
    names = None
    if raw and shstrndx < len(raw):
        s = raw[shstrndx]
        names = (s[4], s[4] + s[5])
    for (name, stype, flags, _addr, offset, size, link, _info, _align, entsize) in raw:
        if stype != SHT_NOBITS:
            _need(data, offset, size, "section contents")
        n = _cstr(data, names[0] + name, names[1]) if names else ""
        elf.sections.append(Section(n, stype, flags, offset, size, link, entsize))

    if phoff:
        if phentsize != 56:
            raise ElfError(f"unexpected program header size {phentsize}")
        for i in range(phnum):
            _need(data, phoff + i * 56, 56, f"program header {i}")
            ptype, _pflags, offset, _va, _pa, filesz, _memsz, _align = struct.unpack_from("<IIQQQQQQ", data,
                                                                                         phoff + i * 56)
            if ptype == PT_INTERP:
                _need(data, offset, filesz, "PT_INTERP")
                elf.interpreter = _cstr(data, offset, offset + filesz)

    for s in elf.sections:
        if s.type == SHT_GNU_VERNEED:
            elf.version_needs = _verneed(data, s, elf.sections)
        if s.type == SHT_NOTE:
            elf.notes.extend(_notes(data, s))
        if s.type == SHT_DYNAMIC and s.entsize:
            strtab = elf.sections[s.link] if s.link < len(elf.sections) else None
            for off in range(s.offset, s.offset + s.size - 15, 16):
                tag, val = struct.unpack_from("<qQ", data, off)
                if tag == DT_NULL:
                    break
                if tag in (DT_NEEDED, DT_SONAME):
                    if strtab is None:
                        raise ElfError(".dynamic has no string table")
                    name = _cstr(data, strtab.offset + val, strtab.offset + strtab.size)
                    if tag == DT_NEEDED:
                        elf.needed.append(name)
                    else:
                        elf.soname = name
    return elf


def _verneed(data, s, sections):
    """The Elf64_Verneed chain: for each library, the symbol versions the object needs."""
    strtab = sections[s.link] if s.link < len(sections) else None
    if strtab is None:
        raise ElfError(".gnu.version_r has no string table")
    out = {}
    off = s.offset
    while True:
        _need(data, off, 16, "Verneed")
        _version, cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, off)
        lib = _cstr(data, strtab.offset + vn_file, strtab.offset + strtab.size)
        names = out.setdefault(lib, [])
        aux = off + vn_aux
        for _ in range(cnt):
            _need(data, aux, 16, "Vernaux")
            _hash, _flags, _other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
            names.append(_cstr(data, strtab.offset + vna_name, strtab.offset + strtab.size))
            if vna_next == 0:
                break
            aux += vna_next
        if vn_next == 0:
            break
        off += vn_next
    return out


def newest_fbsd_version(elf):
    """The newest FBSD_1.x symbol version the object needs, as (1, x), or None.

    FreeBSD's libraries version their symbols FBSD_1.0 (7.0) ... FBSD_1.6 (13.0), FBSD_1.7
    (14.0) (lib/libc/Versions.def); a binary needing FBSD_1.7 cannot load on 13.x."""
    best = None
    for names in elf.version_needs.values():
        for n in names:
            if n.startswith("FBSD_1."):
                try:
                    v = (1, int(n[len("FBSD_1."):]))
                except ValueError:
                    continue
                best = v if best is None or v > best else best
    return best


def _notes(data, s):
    """The note records of note section `s` (4-byte aligned names and descriptors)."""
    out = []
    off, end = s.offset, s.offset + s.size
    while off + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", data, off)
        off += 12
        name_end = off + namesz
        desc_off = off + ((namesz + 3) & ~3)
        desc_end = desc_off + descsz
        if desc_end > end:
            raise ElfError(f"note in {s.name} runs past its section")
        name = data[off:name_end].rstrip(b"\0").decode("utf-8", "replace")
        out.append(Note(s.name, name, ntype, data[desc_off:desc_end]))
        off = desc_off + ((descsz + 3) & ~3)
    return out


# What only the simulator brings into a binary: its source paths (panic locations name the
# file), its mangled module paths and types, and strings no other part of vimage prints.
SIMULATOR_SYMBOL_MARKERS = ("6vimage3sim", "7SimHost", "8fbsd_sim", "3cli4demo", "vimage::sim::", "SimHost")
SIMULATOR_STRING_MARKERS = (
    b"src/sim/",
    b"crates/fbsd-sim/",
    b"src/host/sim.rs",
    b"src/cli/demo.rs",
    b"src/bin/fbsd-sim.rs",
    b"FBSD_SIM_STATE",
    b"usage: fbsd-sim",
    b"vimage demo: a simulated FreeBSD",
)


def freebsd_problems(elf, osversion=None, interpreter="/libexec/ld-elf.so.1",
                     allowed_needed=("libc.so.7", "libthr.so.3", "libm.so.5"), machine=EM_X86_64,
                     newest_symbol_version=(1, 7)):
    """Why `elf` is not a dynamically linked FreeBSD executable as the release needs (empty: it is).

    `newest_symbol_version` (1, 7): it must load on FreeBSD 14.0, so no FBSD_1.8 (15.0) symbol."""
    problems = []
    newest = newest_fbsd_version(elf)
    if newest is not None and newest > newest_symbol_version:
        problems.append(f"needs symbol version FBSD_{newest[0]}.{newest[1]}, newer than "
                        f"FBSD_{newest_symbol_version[0]}.{newest_symbol_version[1]}")
    if elf.osabi != ELFOSABI_FREEBSD:
        problems.append(f"OS/ABI is {elf.osabi} ({OSABI_NAMES.get(elf.osabi, 'unknown')}), not 9 (FreeBSD)")
    if elf.machine != machine:
        problems.append(f"machine is {elf.machine} ({MACHINE_NAMES.get(elf.machine, 'unknown')}), "
                        f"not {machine} ({MACHINE_NAMES.get(machine, '?')})")
    tag = elf.freebsd_osversion()
    if tag is None:
        problems.append("no FreeBSD ABI tag note (.note.tag, name FreeBSD, type NT_FREEBSD_ABI_TAG)")
    elif osversion is not None and tag != osversion:
        problems.append(f".note.tag says __FreeBSD_version {tag}, expected {osversion}")
    if elf.interpreter != interpreter:
        problems.append(f"interpreter is {elf.interpreter!r}, expected {interpreter!r}")
    unexpected = [n for n in elf.needed if n not in allowed_needed]
    if unexpected:
        problems.append(f"unexpected NEEDED libraries: {' '.join(unexpected)} (allowed: {' '.join(allowed_needed)})")
    if "libc.so.7" not in elf.needed:
        problems.append("libc.so.7 is not NEEDED: not a dynamically linked FreeBSD executable")
    return problems


def simulator_traces(elf):
    """Symbols and strings of the simulator found in `elf`: (symbols, [(marker, section, offset)])."""
    syms = sorted({s for s in elf.symbols() if any(m in s for m in SIMULATOR_SYMBOL_MARKERS)})
    strings = []
    for m in SIMULATOR_STRING_MARKERS:
        at = elf.data.find(m)
        if at >= 0:
            sect = next((s.name for s in elf.sections
                         if s.type != SHT_NOBITS and s.offset <= at < s.offset + s.size), "?")
            strings.append((m.decode(), sect, at))
    return syms, strings


def brand_freebsd(path):
    """Sets EI_OSABI to ELFOSABI_FREEBSD in place, as FreeBSD's `brandelf -t FreeBSD` does
    (usr.bin/brandelf: it rewrites e_ident[EI_OSABI] and nothing else).

    zig's linker leaves OS/ABI 0 (System V) on FreeBSD targets, where FreeBSD's own toolchain
    writes 9. The kernel would still run it (imgact_elf.c __elfN(get_brandinfo) looks for the
    .note.tag ABI note before EI_OSABI), but the release binary should look like FreeBSD's own.
    Refuses anything that is not a 64-bit ELF carrying the FreeBSD ABI note. Returns the old value.
    """
    with open(path, "r+b") as f:
        data = f.read()
        e = parse(path, data)
        if e.freebsd_osversion() is None:
            raise ElfError(f"{path} has no FreeBSD ABI note; refusing to brand it FreeBSD")
        old = data[7]
        if old != ELFOSABI_FREEBSD:
            f.seek(7)
            f.write(bytes([ELFOSABI_FREEBSD]))
        return old
