// dnf: Red Hat family packages (Fedora, RHEL 8+ and clones); the contract lives in pkg/rpm-module.ts.
import { rpmModule } from './pkg/rpm-module.js';

export default rpmModule('dnf');
