// The HTTP client get_url and uri run on the host: a Python 3 program (standard library only:
// urllib, ssl, hashlib). Python is what Ansible itself needs on a managed host, so a host Ansible
// can manage can run it; curl and wget are often missing, and Node is not there at all.
//
// The program's text travels inside the request's script (a here-document on fd 3), never in an
// argv. Its input is on stdin: one JSON line (the request: url, credentials, headers, TLS files…)
// then the raw request body. Credentials therefore never appear in a command line nor in the
// script text, which -vvv traces show. Its output is one JSON line (status, final url, headers,
// size, digests, or the error), then nothing: the body goes to a file or, for uri, into the JSON
// (base64, capped).
//
// Request fields (all optional except url):
//   url, method, headers{}, user, password, force_basic_auth, timeout, validate_certs, ca_path,
//   client_cert, client_key, use_proxy, follow ("all" | "safe" | "none"), if_modified_since (epoch s),
//   out (file to write the body to; null: no file), digests [algo…] of the body,
//   expect {algo, hex} (mismatch: `out` is removed, error "checksum"), content_max (bytes of body
//   returned as content_b64; 0: none), has_body.

export const HTTP_CLIENT_PY = String.raw`
import base64, email.utils, hashlib, json, os, re, socket, ssl, sys
import urllib.error, urllib.parse, urllib.request

def main():
    req = json.loads(sys.stdin.buffer.readline())
    body = sys.stdin.buffer.read() if req.get('has_body') else None
    # set by the calling script: the temp file it made, the mtime of the existing dest
    if len(sys.argv) > 1 and sys.argv[1]:
        req['out'] = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2]:
        req['if_modified_since'] = int(sys.argv[2])
    out = {'url': req['url']}
    try:
        run(req, body, out)
    except urllib.error.URLError as e:
        out['status'] = -1
        out['error'] = 'Request failed: %s' % (e.reason,)
    except (socket.timeout, TimeoutError):
        out['status'] = -1
        out['error'] = 'Request failed: timed out after %ss' % req.get('timeout', 10)
    except (OSError, ValueError, ssl.SSLError) as e:
        out['status'] = -1
        out['error'] = 'Request failed: %s' % (e,)
    sys.stdout.write(json.dumps(out) + '\n')
    ok = 200 <= out.get('status', -1) < 300 and 'error' not in out
    sys.exit(0 if ok else 2)

def split_userinfo(url):
    p = urllib.parse.urlsplit(url)
    if '@' not in p.netloc:
        return url, None, None
    info, host = p.netloc.rsplit('@', 1)
    user, _, pw = info.partition(':')
    clean = urllib.parse.urlunsplit((p.scheme, host, p.path, p.query, p.fragment))
    return clean, urllib.parse.unquote(user), urllib.parse.unquote(pw)

class Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, follow):
        self.follow = follow
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if self.follow == 'none':
            return None
        if self.follow == 'safe' and req.get_method() not in ('GET', 'HEAD'):
            return None
        try:
            return urllib.request.HTTPRedirectHandler.redirect_request(self, req, fp, code, msg, headers, newurl)
        except urllib.error.HTTPError:
            if self.follow != 'all':
                raise
            # 307/308 of a POST: resent as it was (urllib refuses those by itself)
            return urllib.request.Request(newurl, data=req.data, headers=dict(req.header_items()), method=req.get_method())

def tls_context(req):
    ctx = ssl.create_default_context(cafile=req.get('ca_path') or None)
    if req.get('validate_certs') is False:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if req.get('client_cert'):
        ctx.load_cert_chain(req['client_cert'], req.get('client_key') or None)
    return ctx

def run(req, body, out):
    url, u_user, u_pw = split_userinfo(req['url'])
    user = req.get('user') if req.get('user') is not None else u_user
    pw = req.get('password') if req.get('password') is not None else u_pw
    handlers = [Redirects(req.get('follow', 'safe')), urllib.request.HTTPSHandler(context=tls_context(req))]
    if req.get('use_proxy') is False:
        handlers.append(urllib.request.ProxyHandler({}))
    headers = dict(req.get('headers') or {})
    if user is not None and req.get('force_basic_auth'):
        token = base64.b64encode(('%s:%s' % (user, pw or '')).encode()).decode()
        headers['Authorization'] = 'Basic ' + token
    elif user is not None:
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, user, pw or '')
        handlers.append(urllib.request.HTTPBasicAuthHandler(mgr))
    if req.get('if_modified_since'):
        headers['If-Modified-Since'] = email.utils.formatdate(req['if_modified_since'], usegmt=True)
    opener = urllib.request.build_opener(*handlers)
    r = urllib.request.Request(url, data=body, headers=headers, method=req.get('method', 'GET'))
    try:
        resp = opener.open(r, timeout=req.get('timeout', 10))
    except urllib.error.HTTPError as e:
        resp = e
    with resp:
        status = getattr(resp, 'status', None) or getattr(resp, 'code', None)
        # file: and ftp: answers have no HTTP status: having one is success
        out['status'] = status if status is not None else 200
        out['reason'] = getattr(resp, 'reason', None) or ('OK' if status is None else '')
        out['url'] = resp.geturl() or url
        out['headers'] = {k.lower(): v for k, v in resp.headers.items()}
        out['filename'] = filename(out['headers'], out['url'])
        read_body(req, resp, out)

def filename(headers, url):
    m = re.match('attachment; ?filename="?([^"]+)', headers.get('content-disposition', ''))
    if m and os.path.basename(m.group(1)):
        return os.path.basename(m.group(1))
    return os.path.basename(urllib.parse.urlsplit(url).path) or 'index.html'

def read_body(req, resp, out):
    algos = list(req.get('digests') or [])
    expect = req.get('expect')
    if expect and expect['algo'] not in algos:
        algos.append(expect['algo'])
    hashes = {a: hashlib.new(a) for a in algos}
    cap = req.get('content_max') or 0
    kept = bytearray()
    size = 0
    dest = open(req['out'], 'wb') if req.get('out') and out['status'] < 300 else None
    try:
        while True:
            chunk = resp.read(65536)
            if not chunk:
                break
            size += len(chunk)
            for h in hashes.values():
                h.update(chunk)
            if dest:
                dest.write(chunk)
            if len(kept) < cap:
                kept += chunk[:cap - len(kept)]
    finally:
        if dest:
            dest.close()
    out['size'] = size
    out['digests'] = {a: h.hexdigest() for a, h in hashes.items()}
    if cap:
        out['content_b64'] = base64.b64encode(bytes(kept)).decode()
        out['truncated'] = size > cap
    if expect and out['digests'][expect['algo']] != expect['hex'] and out['status'] < 300:
        if dest:
            os.unlink(req['out'])
        out['error'] = 'checksum'

main()
`;
