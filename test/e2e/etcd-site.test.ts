// Issue 4's "done when", on a real 3-host lab with SysV init: the suite is test/helpers/etcd-site-suite.ts
// (etcd-site-systemd.test.ts runs it on systemd hosts).
import t from 'tap';
import { siteSuite } from '../helpers/etcd-site-suite.js';

t.test('site.yml on a fresh 3-host lab', (t) => siteSuite(t, { name: 'e2eetcd', subnetIndex: 30, domain: 'e2eetcd.test' }));
