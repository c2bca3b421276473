# Regenerates test/engine/jinja/{filters,tests,methods,pyformat,pyjson,pyyaml,crypt,render}.test.ts:
# each template in cases.py is rendered by Ansible 2.14's own Templar (run with the python that has
# ansible: /usr/bin/python3 regen.py), and its output becomes the expected value.
import json, sys
import os
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cases import G
from ansible.template import Templar
from ansible.parsing.dataloader import DataLoader
V = json.load(open(os.path.join(HERE, 'vars.json')))
res = {}
for g, cs in G.items():
    out = []
    for tpl in cs:
        tm = Templar(loader=DataLoader(), variables=V)
        try:
            r = tm.template(tpl, convert_data=False, fail_on_undefined=True, escape_backslashes=False)
            if not isinstance(r, str): r = {'type': type(r).__name__, 'repr': repr(r)}
            out.append([tpl, r])
        except Exception as e:
            out.append([tpl, {'error': type(e).__name__, 'msg': str(e)[:300]}])
    res[g] = out
import json
r = res
V = json.load(open(os.path.join(HERE, 'vars.json')))
drop = {"{{ '/a/./b/../c' | normpath }}", "{{ s | ansible.builtin.upper }}", "{% for x in range(3) %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}"}
hdr = '''// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = %s;

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

''' 
for g, cs in r.items():
    ok = [[a, b] for a, b in cs if isinstance(b, str) and a not in drop]
    err = [[a, b['msg'][:80]] for a, b in cs if isinstance(b, dict) and 'error' in b and a not in drop]
    body = hdr % json.dumps(V)
    body += 'const CASES: Array<[string, string]> = %s;\n\n' % json.dumps(ok, ensure_ascii=False, indent=1)
    body += '// Templates Ansible rejects (its message for reference); bosun must fail them too.\nconst ERRORS: Array<[string, string]> = %s;\n\n' % json.dumps(err, ensure_ascii=False, indent=1)
    body += '''t.test('%s: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('%s: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
''' % (g, g)
    open(os.path.join(HERE, '..', '%s.test.ts' % g), 'w').write(body)
