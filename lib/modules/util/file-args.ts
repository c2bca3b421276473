// Arguments every file-writing module shares, declared once: their names, types and docs are then
// the same for copy, template, file and any module added later (spread them into `args`).
import { ArgumentError } from '../../errors.js';
import type { ArgSchema } from '../types.js';

/** mode/owner/group: the wanted attributes of what the module writes (remote-file.ts Attrs). */
export const FILE_ATTR_ARGS = {
  mode: { type: 'mode', description: 'Octal mode as a quoted string, e.g. "0644". Default: keep the existing mode, or umask for new files.' },
  owner: { type: 'str', description: 'Owner name or uid (needs root).' },
  group: { type: 'str', description: 'Group name or gid.' },
} as const satisfies ArgSchema;

/** Ansible's `validate`, for every module that writes a file's content. */
export const VALIDATE_ARG = {
  validate: {
    type: 'str',
    description:
      'Command run on the new content (a temp file beside dest) before it replaces dest; "%s" is that file, e.g. "visudo -cf %s". ' +
      'Split into words like a command (no shell). A non-zero exit fails the task and leaves dest untouched.',
  },
} as const satisfies ArgSchema;

/** Ansible refuses a validate command without %s (it would check something else than the new file). */
export function checkValidateArg(validate: string | undefined): void {
  if (validate !== undefined && !validate.includes('%s')) throw new ArgumentError(`validate must contain %s: ${validate}`);
}

/** What a module that replaces a whole file (put-file.ts) takes besides its source and dest. */
export const PUT_FILE_ARGS = {
  ...FILE_ATTR_ARGS,
  backup: { type: 'bool', default: false, description: 'Keep a copy of the replaced file as DEST.YYYYMMDDhhmmss~ (result backup_file).' },
  force: { type: 'bool', default: true, description: 'If false, only create dest when it does not exist.' },
  directory_mode: { type: 'mode', description: 'Mode for directories created when dest ends with "/".' },
  follow: { type: 'bool', default: false, description: 'A symlink at dest: false replaces the link by a new file (umask mode, never the link\'s 0777); true writes to its target, keeping the target\'s mode and owner.' },
  ...VALIDATE_ARG,
} as const satisfies ArgSchema;
