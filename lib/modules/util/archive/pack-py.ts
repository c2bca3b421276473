// archive's writer, run with python3 on the host (tarfile, zipfile, gzip, bz2, lzma: nothing else
// to install). One operation, `pack`, JSON on stdin:
//   {paths, exclude, dest?, format, force_archive, remove, check}
// It expands the globs, names members relative to the paths' common directory (as
// community.general.archive), and compares what the archive would hold (names, types, sha256 of
// contents, link targets) with what dest holds: mtimes and compression bytes never make a change.
// With check, or when nothing differs, nothing is written. Otherwise the archive is built in a temp
// file beside dest and renamed over it; `remove` deletes the sources only after that.
// Output: one JSON line (changed, dest, dest_state, archived, missing, expanded_paths, arcroot) or
// {"error": ...} with exit 2.

export const PACK_PY = String.raw`
import bz2, glob, gzip, hashlib, json, lzma, os, shutil, stat, sys, tarfile, tempfile, zipfile

class Fail(Exception):
    pass

def digest(f):
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(65536), b''):
        h.update(chunk)
    return h.hexdigest()

def expand(patterns):
    out = []
    for p in patterns:
        hits = sorted(glob.glob(p)) if glob.has_magic(p) else ([p] if os.path.lexists(p) else [])
        out.extend(h.rstrip('/') or '/' for h in hits)
    return out

def common_root(paths):
    prefix = os.path.commonprefix([os.path.join(os.path.dirname(p), '') for p in paths])
    return os.path.join(os.path.dirname(prefix), '')

def walk(paths, excluded, root):
    """(abs path, member name) of everything to archive, parents before children."""
    out = []
    for p in paths:
        if p in excluded:
            continue
        out.append((p, os.path.relpath(p, root)))
        if os.path.isdir(p) and not os.path.islink(p):
            for d, dirs, files in os.walk(p):
                dirs.sort()
                for n in sorted(dirs) + sorted(files):
                    a = os.path.join(d, n)
                    if a not in excluded:
                        out.append((a, os.path.relpath(a, root)))
                dirs[:] = [x for x in dirs if os.path.join(d, x) not in excluded]
    return out

def wanted(items):
    m = set()
    for a, name in items:
        st = os.lstat(a)
        if stat.S_ISLNK(st.st_mode):
            m.add((name, 'link', os.readlink(a)))
        elif stat.S_ISDIR(st.st_mode):
            m.add((name, 'directory', ''))
        else:
            with open(a, 'rb') as f:
                m.add((name, 'file', digest(f)))
    return m

def existing(dest, fmt):
    if not os.path.exists(dest):
        return None
    try:
        if fmt == 'zip':
            z = zipfile.ZipFile(dest)
            m = set()
            for i in z.infolist():
                mode = i.external_attr >> 16
                if stat.S_ISLNK(mode):
                    m.add((i.filename.rstrip('/'), 'link', z.read(i).decode()))
                elif i.is_dir():
                    m.add((i.filename.rstrip('/'), 'directory', ''))
                else:
                    with z.open(i) as f:
                        m.add((i.filename, 'file', digest(f)))
            return m
        t = tarfile.open(dest, 'r:*')
        m = set()
        for i in t:
            if i.issym():
                m.add((i.name, 'link', i.linkname))
            elif i.isdir():
                m.add((i.name, 'directory', ''))
            else:
                with t.extractfile(i) as f:
                    m.add((i.name, 'file', digest(f)))
        return m
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, lzma.LZMAError):
        return set()  # not a readable archive of this format: rewritten

OPENERS = {'gz': gzip.open, 'bz2': bz2.open, 'xz': lzma.open}

def build(tmp, fmt, items, single):
    if single is not None:
        with open(single, 'rb') as src, OPENERS[fmt](tmp, 'wb') as out:
            shutil.copyfileobj(src, out)
        return
    if fmt == 'zip':
        with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as z:
            for a, name in items:
                if os.path.islink(a):
                    info = zipfile.ZipInfo(name)
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    z.writestr(info, os.readlink(a))
                else:
                    z.write(a, name)
        return
    mode = {'tar': 'w', 'gz': 'w:gz', 'bz2': 'w:bz2', 'xz': 'w:xz'}[fmt]
    with tarfile.open(tmp, mode) as t:
        for a, name in items:
            t.add(a, name, recursive=False)

def pack(req):
    fmt = req['format']
    paths = expand(req['paths'])
    missing = [p for p in req['paths'] if not glob.has_magic(p) and not os.path.lexists(p)]
    excluded = set(expand(req.get('exclude') or []))
    paths = [p for p in paths if p not in excluded]
    if not paths:
        raise Fail('Error, no source paths were found')
    root = common_root(paths)
    must = req.get('force_archive') or any(glob.has_magic(p) for p in req['paths']) or os.path.isdir(paths[0]) or len(paths) > 1
    dest = req.get('dest')
    if not dest:
        if must:
            raise Fail('Error, must specify "dest" when archiving multiple files or trees')
        dest = '%s.%s' % (paths[0], fmt)
    if os.path.abspath(dest) in [os.path.abspath(p) for p in paths]:
        raise Fail('Error, the archive %s is one of its own sources' % dest)
    single = None if must or fmt in ('zip', 'tar') else paths[0]
    items = walk(paths, excluded | {os.path.abspath(dest)}, root)
    if single is not None:
        with open(single, 'rb') as f:
            want = {('', 'file', digest(f))}
        have = None
        if os.path.exists(dest):
            try:
                with OPENERS[fmt](dest, 'rb') as f:
                    have = {('', 'file', digest(f))}
            except (OSError, EOFError, lzma.LZMAError):
                have = set()
    else:
        want, have = wanted(items), existing(dest, fmt)
    changed = have != want
    out = {'changed': changed, 'dest': dest, 'arcroot': root, 'missing': missing, 'expanded_paths': paths,
           'archived': [a for a, _ in items] if single is None else [single],
           'dest_state': 'compress' if single is not None else 'archive'}
    if req.get('check') or not changed:
        return out
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(dest)), prefix='.bosun-archive.')
    os.close(fd)
    try:
        build(tmp, fmt, items, single)
        if os.path.exists(dest):
            shutil.copymode(dest, tmp)
        else:
            os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if req.get('remove'):
        for a in sorted(out['archived'], key=len, reverse=True):
            if os.path.isdir(a) and not os.path.islink(a):
                shutil.rmtree(a, ignore_errors=True)
            elif os.path.lexists(a):
                os.unlink(a)
    return out

def umask():
    m = os.umask(0)
    os.umask(m)
    return m

def main():
    req = json.loads(sys.stdin.buffer.readline())
    try:
        out = pack(req)
    except (Fail, OSError) as e:
        sys.stdout.write(json.dumps({'error': str(e)}) + '\n')
        sys.exit(2)
    sys.stdout.write(json.dumps(out) + '\n')

main()
`;
