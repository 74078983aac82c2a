"""vimage's packaging tools, standard library only (see README, "Package").

elf      -- reads the ELF facts the checks and the package need (OS/ABI, .note.tag,
            interpreter, NEEDED, symbols), written from the ELF and FreeBSD note formats.
pkgfile  -- writes a FreeBSD pkg(8) package the way libpkg's pkg_create.c does.
plist    -- reads a ports-style pkg-plist with the keywords of libpkg's pkg_ports.c.
"""
