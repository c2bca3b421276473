// yum: the same contract as dnf, through the `yum` command (on RHEL 8+ yum is dnf; see docs/modules/yum.md).
import { rpmModule } from './pkg/rpm-module.js';

export default rpmModule('yum');
