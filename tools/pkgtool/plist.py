"""Reads a ports-style pkg-plist the way libpkg reads it for `pkg create -p` (pkg_ports.c).

Supported, with pkg's meaning (freebsd/pkg 2.8.4, libpkg/pkg_ports.c):
  path               a file or symlink, relative to the prefix or absolute (meta_file)
  @comment ...       ignored (comment_key); so are empty lines and lines starting with '#'
  @mode [MODE]       the permission of the following entries; empty resets to the file's own
                     (setmod); octal only here (pkg's setmode(3) also takes symbolic modes)
  @owner [NAME]      owner of the following entries; empty resets to root (setowner)
  @group [NAME]      group of the following entries; empty resets to wheel (setgroup)
  @dir PATH          a directory the package owns, removed on delete if empty (dir)
  @(o,g,mode) path   one entry with its own owner, group and/or mode (parse_keyword_args)
  @sample FILE [TARGET]
                     the ports tree's Keywords/sample.ucl: FILE (a *.sample) is a packaged file;
                     after install it is copied to TARGET (FILE without .sample) unless that
                     exists; before delete TARGET is removed if it still equals FILE. pkg runs
                     that as Lua scripts in the package; [sample_scripts] writes them.
Anything else is refused, as pkg refuses an unknown keyword ("unknown keyword").
"""

import os
from dataclasses import dataclass


class PlistError(Exception):
    """A line pkg would refuse, with its line number."""


@dataclass
class Entry:
    """One file or directory of the package, with the plist's attributes (None: from the file)."""

    path: str  # absolute, normalised like pkg_absolutepath()
    kind: str  # "file" or "dir"
    uname: str
    gname: str
    mode: int  # 0: take the staged file's permission bits
    sample_target: str = None  # for @sample: the configuration file made from this sample


@dataclass
class Plist:
    """The parsed plist: entries in plist order, and @sample pairs for the scripts."""

    prefix: str
    entries: list

    def files(self):
        """The file entries."""
        return [e for e in self.entries if e.kind == "file"]

    def dirs(self):
        """The @dir entries."""
        return [e for e in self.entries if e.kind == "dir"]


def absolute(path):
    """Normalises an absolute path as pkg_absolutepath() does: drops '', '.' and resolves '..'."""
    out = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)


def _mode(text, lineno):
    text = text.strip()
    if not text:
        return 0
    try:
        m = int(text, 8)
    except ValueError:
        raise PlistError(f"line {lineno}: mode {text!r}: only octal modes are supported") from None
    if not 0 < m <= 0o7777:
        raise PlistError(f"line {lineno}: {text} wrong mode value")
    return m


def _in_prefix(prefix, line):
    return absolute(line if line.startswith("/") else prefix + "/" + line)


def parse(text, prefix="/usr/local"):
    """Parses plist `text` for `prefix`."""
    uname, gname, mode = "root", "wheel", 0
    entries = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("@"):
            entries.append(Entry(_in_prefix(prefix, line.strip()), "file", uname, gname, mode))
            continue
        keyword, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if keyword.startswith("("):
            if not keyword.endswith(")") or not rest:
                raise PlistError(f"line {lineno}: Malformed keyword {line}, expecting @keyword or "
                                 f"@keyword(owner,group,mode)")
            parts = [p.strip() for p in keyword[1:-1].split(",")]
            parts += [""] * (3 - len(parts))
            if len(parts) > 3:
                raise PlistError(f"line {lineno}: file flags are not supported: {line}")
            o, g, m = parts
            entries.append(Entry(_in_prefix(prefix, rest), "file", o or uname, g or gname,
                                 _mode(m, lineno) if m else mode))
        elif keyword == "comment":
            continue
        elif keyword == "mode":
            mode = _mode(rest, lineno)
        elif keyword == "owner":
            uname = rest or "root"
        elif keyword == "group":
            gname = rest or "wheel"
        elif keyword == "dir":
            if not rest:
                raise PlistError(f"line {lineno}: @dir needs a path")
            entries.append(Entry(_in_prefix(prefix, rest), "dir", uname, gname, mode or 0o755))
        elif keyword == "sample":
            args = rest.split()
            if not args or len(args) > 2:
                raise PlistError(f"line {lineno}: @sample takes a file and optionally its target: {line}")
            sample = args[0]
            if len(args) == 1:
                if not sample.endswith(".sample"):
                    raise PlistError(f"line {lineno}: @sample {sample}: a lone sample must end in .sample")
                target = sample[: -len(".sample")]
            else:
                target = args[1]
            entries.append(Entry(_in_prefix(prefix, sample), "file", uname, gname, mode,
                                 sample_target=_in_prefix(prefix, target)))
        else:
            raise PlistError(f"line {lineno}: unknown keyword {keyword}: {line}")
    seen = set()
    for e in entries:
        if e.path in seen:
            raise PlistError(f"duplicate file listing: {e.path}")
        seen.add(e.path)
    return Plist(prefix, entries)


def sample_scripts(plist):
    """The Lua scripts @sample adds: (post-install scripts, pre-deinstall scripts).

    One pair per sample, as pkg adds one per keyword line. Each script works on paths relative
    to the install root (pkg.prefixed_path is not needed: the paths are already absolute).
    """
    post, pre = [], []
    for e in plist.files():
        if e.sample_target is None:
            continue
        s, t = e.path, e.sample_target
        post.append(
            f'-- @sample {s} -> {t}: install the sample as the configuration unless there is one\n'
            f'if not pkg.stat("{t}") then\n  pkg.copy("{s}", "{t}")\nend')
        pre.append(
            f'-- @sample {s} -> {t}: remove the configuration only if it was never changed\n'
            f'if pkg.filecmp("{s}", "{t}") == 0 then\n  os.remove("{t}")\n'
            f'else\n  pkg.print_msg("You may need to remove {t} by hand if it is no longer needed.")\nend')
    return post, pre


def read(path, prefix="/usr/local"):
    """Parses the plist file at `path`."""
    with open(path, encoding="utf-8") as f:
        return parse(f.read(), prefix)


def relative(plist, path):
    """`path` relative to the plist's prefix (for staging under DESTDIR/prefix)."""
    return os.path.relpath(path, plist.prefix)
