// unarchive's reader, run with python3 (standard library tarfile/zipfile: gzip, bzip2, xz and zip
// without any decompressor installed). Three operations, chosen by the JSON request on stdin:
//
//   manifest  {op, src, strip, include, exclude}  → {handler, entries:[{path,type,size,sha256,mode,link}]}
//             what the archive would put under dest (after --strip-components and include/exclude);
//             unsafe members (absolute, "..") fail it. Runs on the control node for a local src.
//   compare   {op, dest, entries, attrs}          → {differ:[path…]}  (read-only)
//             each entry against dest: type, size, then content (sha256), link target, and the
//             wanted mode/owner/group when given. Content decides, not mtimes.
//   check     manifest then compare, in one run on the host (remote_src)
//   extract_zip {op, src, dest, strip, include, exclude} → {}  (zip only; tar archives go to GNU tar
//             so extra_opts keep their meaning)
//   attrs     {op, dest, paths, owner, group, mode} → {changed:[path…]}
//
// Output: one JSON line; {"error": "..."} with exit 2 on an ordinary failure.

export const ARCHIVE_PY = String.raw`
import fnmatch, grp, hashlib, json, os, pwd, stat, sys, tarfile, zipfile

class Fail(Exception):
    pass

def members(src):
    if zipfile.is_zipfile(src):
        z = zipfile.ZipFile(src)
        for i in z.infolist():
            mode = (i.external_attr >> 16) & 0o7777
            kind = 'directory' if i.is_dir() else 'file'
            if stat.S_ISLNK(i.external_attr >> 16):
                kind = 'link'
            yield 'ZipArchive', i.filename, kind, i.file_size, mode, (z.read(i).decode() if kind == 'link' else None), (lambda i=i: z.open(i))
        return
    try:
        t = tarfile.open(src, 'r:*')
    except tarfile.TarError as e:
        raise Fail('Failed to find handler for "%s": not a tar or zip archive (%s)' % (src, e))
    name = {'gz': 'TgzArchive', 'bz2': 'TarBzipArchive', 'xz': 'TarXzArchive'}.get(compression(src), 'TarArchive')
    for m in t:
        if m.isdir():
            yield name, m.name, 'directory', 0, m.mode, None, None
        elif m.issym():
            yield name, m.name, 'link', 0, m.mode, m.linkname, None
        elif m.isfile() or m.islnk():
            yield name, m.name, 'file', m.size, m.mode, None, (lambda m=m: t.extractfile(m))

def compression(src):
    with open(src, 'rb') as f:
        head = f.read(6)
    if head[:2] == b'\x1f\x8b':
        return 'gz'
    if head[:3] == b'BZh':
        return 'bz2'
    if head[:6] == b'\xfd7zXZ\x00':
        return 'xz'
    return ''

def selected(path, include, exclude):
    if include and not any(fnmatch.fnmatch(path, p) for p in include):
        return False
    return not any(fnmatch.fnmatch(path, p) for p in exclude)

def manifest(req):
    out, handler = [], 'TarArchive'
    for handler, name, kind, size, mode, link, opener in members(req['src']):
        parts = [p for p in name.split('/') if p not in ('', '.')]
        if name.startswith('/') or '..' in parts:
            raise Fail('refusing archive member %r: it would land outside dest' % name)
        parts = parts[req.get('strip', 0):]
        if not parts:
            continue
        path = '/'.join(parts)
        if not selected(name[2:] if name.startswith('./') else name, req.get('include') or [], req.get('exclude') or []):
            continue
        e = {'path': path, 'member': name, 'type': kind, 'size': size, 'mode': '%04o' % mode}
        if link is not None:
            e['link'] = link
        if opener is not None:
            h = hashlib.sha256()
            with opener() as f:
                for chunk in iter(lambda: f.read(65536), b''):
                    h.update(chunk)
            e['sha256'] = h.hexdigest()
        out.append(e)
    return {'handler': handler, 'entries': out}

def sha256_of(p):
    h = hashlib.sha256()
    with open(p, 'rb') as f:
        for chunk in iter(lambda: f.read(65536), b''):
            h.update(chunk)
    return h.hexdigest()

def ids(attrs):
    uid = gid = None
    if attrs.get('owner') is not None:
        o = attrs['owner']
        uid = int(o) if o.isdigit() else pwd.getpwnam(o).pw_uid
    if attrs.get('group') is not None:
        g = attrs['group']
        gid = int(g) if g.isdigit() else grp.getgrnam(g).gr_gid
    return uid, gid

def compare(req):
    dest, attrs = req['dest'], req.get('attrs') or {}
    uid, gid = ids(attrs)
    want_mode = int(attrs['mode'], 8) if attrs.get('mode') else None
    differ = []
    for e in req['entries']:
        p = os.path.join(dest, e['path'])
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            differ.append(e['path'])
            continue
        ok = True
        if e['type'] == 'directory':
            ok = stat.S_ISDIR(st.st_mode)
        elif e['type'] == 'link':
            ok = stat.S_ISLNK(st.st_mode) and os.readlink(p) == e['link']
        else:
            ok = stat.S_ISREG(st.st_mode) and st.st_size == e['size'] and sha256_of(p) == e['sha256']
        if ok and e['type'] != 'link':
            ok = (want_mode is None or stat.S_IMODE(st.st_mode) == want_mode) and (uid is None or st.st_uid == uid) and (gid is None or st.st_gid == gid)
        if not ok:
            differ.append(e['path'])
    return {'differ': differ}

def check(req):
    m = manifest(req)
    m.update(compare({'dest': req['dest'], 'entries': m['entries'], 'attrs': req.get('attrs')}))
    return m

def extract_zip(req):
    dest = req['dest']
    wanted = {e['member']: e['path'] for e in manifest(req)['entries']}
    z = zipfile.ZipFile(req['src'])
    for i in z.infolist():
        if i.filename not in wanted:
            continue
        path = wanted[i.filename]
        target = os.path.join(dest, path)
        mode = (i.external_attr >> 16) & 0o7777
        if i.is_dir():
            os.makedirs(target, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if stat.S_ISLNK(i.external_attr >> 16):
            if os.path.lexists(target):
                os.unlink(target)
            os.symlink(z.read(i).decode(), target)
            continue
        tmp = target + '.bosun-tmp'
        with z.open(i) as f, open(tmp, 'wb') as o:
            for chunk in iter(lambda: f.read(65536), b''):
                o.write(chunk)
        if mode:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    return {}

def attrs(req):
    uid, gid = ids(req)
    mode = int(req['mode'], 8) if req.get('mode') else None
    changed = []
    for rel in req['paths']:
        p = os.path.join(req['dest'], rel)
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            continue
        did = False
        if (uid is not None and st.st_uid != uid) or (gid is not None and st.st_gid != gid):
            os.chown(p, -1 if uid is None else uid, -1 if gid is None else gid)
            did = True
        if mode is not None and stat.S_IMODE(st.st_mode) != mode:
            os.chmod(p, mode)
            did = True
        if did:
            changed.append(rel)
    return {'changed': changed}

def main():
    req = json.loads(sys.stdin.buffer.readline())
    if len(sys.argv) > 1 and sys.argv[1]:
        req['src'] = sys.argv[1]
    ops = {'check': check, 'manifest': manifest, 'compare': compare, 'extract_zip': extract_zip, 'attrs': attrs}
    try:
        out = ops[req['op']](req)
    except (Fail, OSError, KeyError, EOFError, zipfile.BadZipFile, tarfile.TarError, UnicodeDecodeError) as e:
        sys.stdout.write(json.dumps({'error': str(e)}) + '\n')
        sys.exit(2)
    sys.stdout.write(json.dumps(out) + '\n')

main()
`;
