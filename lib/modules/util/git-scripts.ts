// The shell scripts of the git module: one read-only request that reads a checkout (HEAD, local
// modifications, the remote's URL, the branch HEAD follows) and asks the remote for the version's
// commit (`git ls-remote`, as Ansible's check mode does), and one request that clones or fetches and
// checks out, step by step as Ansible 2.14's git.py does. Every user value is a shell variable set
// once with shq(); a password of the URL never appears in either script: it comes on stdin and git
// asks for it through GIT_ASKPASS (a helper reading a 0600 file in a private temp directory).

import { shq } from '../../executor/types.js';

export interface GitEnv {
  git: string;
  dest: string;
  /** The URL as git sees it (without a password). */
  repo: string;
  version: string;
  remote: string;
  bare: boolean;
  /** The value of GIT_SSH_COMMAND's options (Ansible's set_git_ssh_env). */
  sshOpts: string;
  /** The URL's password travels on stdin. */
  askpass: boolean;
  umask?: string;
}

/** Variables, locale, ssh options, the git check and (with a password) the askpass helper. */
function prelude(e: GitEnv, tempDir: boolean): string[] {
  const L = [
    `G=${shq(e.git)}; d=${shq(e.dest)}; repo=${shq(e.repo)}; v=${shq(e.version)}; r=${shq(e.remote)}; bare=${e.bare ? 1 : 0}`,
    // Ansible screen-scrapes git in the C locale
    'LANG=C; LC_ALL=C; LC_MESSAGES=C; LC_CTYPE=C; export LANG LC_ALL LC_MESSAGES LC_CTYPE',
    // never wait for a terminal prompt: a missing credential fails instead
    'GIT_TERMINAL_PROMPT=0; export GIT_TERMINAL_PROMPT',
    `GIT_SSH_COMMAND="\${GIT_SSH:-\${GIT_SSH_COMMAND:-ssh}} "${shq(e.sshOpts)}; export GIT_SSH_COMMAND`,
    // Ansible's os.path.abspath(dest): relative to where the module starts (the steps below cd)
    'case $d in /* | "") ;; *) d=$PWD/$d ;; esac',
    `command -v "$G" >/dev/null 2>&1 || { printf 'Failed to find required executable "%s"\\n' "$G" >&2; exit 127; }`,
  ];
  if (e.umask !== undefined) L.push(`umask ${shq(e.umask)}`);
  if (tempDir || e.askpass) {
    L.push(`t=$(mktemp -d "\${TMPDIR:-/tmp}/bosun-git.XXXXXX") || exit 1`, `trap 'rm -rf "$t"' EXIT`);
  }
  if (e.askpass) {
    L.push(
      '(umask 077; cat >"$t/pw")',
      `printf '#!/bin/sh\\nexec cat "%s/pw"\\n' "$t" >"$t/askpass"; chmod 700 "$t/askpass"`,
      'GIT_ASKPASS=$t/askpass; export GIT_ASKPASS',
    );
  }
  return L;
}

/**
 * Shell functions: gdir (Ansible's get_repo_path: DEST/.git, DEST when bare, or the directory a
 * `.git` file names) and hb (Ansible's get_head_branch + head_splitter: the branch HEAD is on, or
 * when detached the one refs/remotes/REMOTE/HEAD names).
 */
const FUNCS = [
  'gdir() {',
  '  gd=$d; [ "$bare" = 1 ] || gd=$d/.git',
  '  if [ -f "$gd" ]; then',
  '    l=$(head -n1 "$gd")',
  '    case $l in',
  '      "gitdir: "*) g=${l#gitdir: }; case $g in /*) gd=$g ;; *) gd=$d/$g ;; esac',
  '        [ -d "$gd" ] || { printf "badgitdir=%s is not a directory\\n" "$gd"; exit 0; } ;;',
  '      *) echo "badgitdir=.git file has invalid git dir reference format"; exit 0 ;;',
  '    esac',
  '  fi',
  '}',
  'hb() {',
  '  if "$G" symbolic-ref -q HEAD >/dev/null 2>&1; then hf=$gd/HEAD; else hf=$gd/refs/remotes/$r/HEAD; fi',
  '  [ -f "$hf" ] || return 0',
  // the first line, "refs/remotes/REMOTE" taken out once, its last space-separated word, split on "/" at most twice, the last part
  '  head -n1 "$hf" | awk -v p="refs/remotes/$r" \'{ i = index($0, p); if (i) $0 = substr($0, 1, i - 1) substr($0, i + length(p)); n = split($0, w, " "); m = split(w[n], b, "/"); o = b[m]; if (m > 3) { o = b[3]; for (k = 4; k <= m; k++) o = o "/" b[k] } print o }\'',
  '}',
];

export interface ReadOptions {
  /** An existing checkout is to be updated: read its state and ask the remote (ls-remote); without it, only HEAD. */
  update: boolean;
  /** Where the git dir should be (its real path is returned, to compare with the present one). */
  separateGitDir?: string;
  recursive: boolean;
}

/** plan()'s one read-only request. Fields, then `---` and `git ls-remote`'s answer. */
export function readScript(e: GitEnv, o: ReadOptions): string {
  const L = [...prelude(e, false), ...FUNCS];
  L.push(
    'gdir',
    'printf "gitdir=%s\\n" "$gd"',
    o.separateGitDir !== undefined ? `printf "sgd=%s\\n" "$(realpath -m -- ${shq(o.separateGitDir)})"` : ':',
    'h=',
    'if [ -f "$gd/config" ]; then',
    '  echo exists=1',
    '  cd "$d" || exit 1',
    '  printf "before=%s\\n" "$("$G" rev-parse HEAD 2>/dev/null)"',
  );
  if (o.update) {
    L.push(
      // untracked files ("??") are not modifications, as in Ansible's has_local_mods
      '  [ "$bare" = 1 ] || printf "mods=%s\\n" "$("$G" status --porcelain | grep -vc "^??")"',
      '  if u=$("$G" ls-remote --get-url "$r" 2>/dev/null); then printf "url=%s\\n" "$u"; fi',
      '  h=$(hb); printf "hb=%s\\n" "$h"',
      '  c=$("$G" rev-parse --verify -q "$v^{commit}" 2>/dev/null) && printf "vcommit=%s\\n" "$c"',
    );
    if (o.recursive && !e.bare) {
      L.push(
        '  if [ -f .gitmodules ]; then',
        '    echo gitmodules=1',
        '    for p in $(awk -F= \'$1 ~ /^[ \\t]*path[ \\t]*$/ { gsub(/^[ \\t]+|[ \\t]+$/, "", $2); print $2 }\' .gitmodules); do [ -e "$p/.git" ] || echo smmissing=1; done',
        '    printf "smstatus=%s\\n" "$("$G" submodule status 2>/dev/null | grep -vc "^ ")"',
        '  fi',
      );
    }
    L.push('fi');
  } else {
    L.push('  echo ---', '  exit 0', 'fi');
  }
  L.push(
    'echo ---',
    // the version as a branch, as a tag (peeled: "TAG^{}"), the remote's HEAD, and the branch the checkout follows
    'exec "$G" ls-remote -- "$repo" HEAD "refs/heads/$v" "refs/tags/$v*" ${h:+"refs/heads/$h"}',
  );
  return L.join('\n') + '\n';
}

export interface ApplyOptions {
  mode: 'clone' | 'update' | 'archive-only';
  isBranch: boolean;
  isTag: boolean;
  /** The branch HEAD followed when planned (fetch with depth). */
  headBranch: string;
  depth?: number;
  refspec?: string;
  reference?: string;
  singleBranch: boolean;
  separateGitDir?: string;
  relocate?: { from: string; to: string };
  force: boolean;
  localMods: boolean;
  setUrl: boolean;
  verifyCommit: boolean;
  recursive: boolean;
  trackSubmodules: boolean;
  archive?: { path: string; format: string; prefix?: string };
  /** Ansible's warning when depth cannot apply (the clone is full). */
  ignoreDepth: boolean;
}

/**
 * run MSG CMD...: runs a git step; on failure prints `fail=`, `rc=` and the step's stdout and stderr
 * (hex) and stops. MSG is "S" (the message is stderr, as run_command's check_rc), "P:TEXT" (TEXT
 * followed by stdout and stderr) or "M:TEXT" (TEXT alone).
 */
const RUN = [
  'run() {',
  '  m=$1; shift',
  '  "$@" >"$t/o" 2>"$t/e"; rc=$?',
  '  [ $rc -eq 0 ] && return 0',
  '  printf "fail=%s\\nrc=%s\\n" "$m" "$rc"',
  '  printf "out="; od -An -v -tx1 <"$t/o" | tr -d " \\n"; echo',
  '  printf "err="; od -An -v -tx1 <"$t/e" | tr -d " \\n"; echo',
  '  exit 0',
  '}',
];

/** apply()'s request: Ansible's clone or fetch, switch_version, submodules and archive, in one script. */
export function applyScript(e: GitEnv, o: ApplyOptions): string {
  const L = [...prelude(e, true), ...FUNCS, ...RUN];
  const depth = o.depth !== undefined ? String(o.depth) : '';
  if (o.mode === 'clone') {
    const c = ['"$G"', 'clone'];
    c.push(e.bare ? '--bare' : '--origin "$r"');
    if (o.depth !== undefined && !o.ignoreDepth) {
      c.push('--depth', depth);
      if (e.version !== 'HEAD' && !o.refspec) c.push('--branch "$v"');
    }
    if (o.reference !== undefined) c.push('--reference', shq(o.reference));
    if (o.singleBranch) {
      c.push('--single-branch');
      if (o.isBranch || o.isTag) c.push('--branch "$v"');
    }
    if (o.separateGitDir !== undefined) c.push(shq(`--separate-git-dir=${o.separateGitDir}`));
    c.push('--', '"$repo"', '"$d"');
    L.push('mkdir -p -- "$(dirname -- "$d")"', 'cd "$(dirname -- "$d")" || exit 1', `run S ${c.join(' ')}`, 'cd "$d" || exit 1');
    if (e.bare && e.remote !== 'origin') L.push('run S "$G" remote add -- "$r" "$repo"');
    if (o.refspec !== undefined) L.push(`run S "$G" fetch ${depth ? `--depth ${depth} ` : ''}"$r" ${shq(o.refspec)}`);
    L.push('gdir', 'echo before=');
  } else {
    L.push('cd "$d" || exit 1', 'gdir');
    if (o.relocate) {
      L.push(
        `to=${shq(o.relocate.to)}`,
        `[ -e "$to" ] && { printf "fail=M:Separate-git-dir path %s already exists.\\n" "$to"; exit 0; }`,
        'mv -- "$gd" "$to" || { printf "fail=M:Unable to move git dir.\\n"; exit 0; }',
        `printf 'gitdir: %s' "$to" >"$d/.git"`,
        'printf "git_dir_before=%s\\ngit_dir_now=%s\\n" "$gd" "$to"',
        'gd=$to',
      );
    }
    L.push('printf "before=%s\\n" "$("$G" rev-parse HEAD 2>/dev/null)"');
  }
  if (o.mode === 'update') {
    if (o.localMods && o.force) L.push('run S "$G" reset --hard HEAD');
    if (o.setUrl) L.push('run "P:Failed to set a new url $repo for $r: " "$G" remote set-url -- "$r" "$repo"');
    // Ansible's fetch(): the refs it fetches depend on depth, bare, the version's kind and refspec
    const refspecs: string[] = [];
    const f = ['"$G"', 'fetch'];
    if (o.depth !== undefined) {
      if (o.refspec !== undefined) refspecs.push(shq(o.refspec));
      else if (e.version === 'HEAD') refspecs.push(shq(o.headBranch));
      else if (o.isBranch) {
        if (o.headBranch !== e.version) refspecs.push('"+refs/heads/$v:refs/heads/$v"');
        refspecs.push('"+refs/heads/$v:refs/remotes/$r/$v"');
      } else if (o.isTag) refspecs.push('"+refs/tags/$v:refs/tags/$v"');
      if (refspecs.length) f.push('--depth', depth);
    }
    if (o.depth === undefined || !refspecs.length) {
      if (e.bare) refspecs.push("'+refs/heads/*:refs/heads/*'", "'+refs/tags/*:refs/tags/*'");
      else f.push('--tags');
      if (o.refspec !== undefined) refspecs.push(shq(o.refspec));
    }
    if (o.force) f.push('--force');
    L.push(`run "P:Failed to download remote objects and refs: " ${f.join(' ')} "$r" ${refspecs.join(' ')}`);
  }
  if (o.mode !== 'archive-only' && !e.bare) L.push(...switchVersion(e, o, depth));
  if (o.mode === 'clone' && e.bare && o.verifyCommit) L.push(...verify());
  if (o.mode !== 'archive-only' && o.recursive && !e.bare) L.push(...submodules(o));
  L.push('printf "after=%s\\n" "$("$G" rev-parse HEAD 2>/dev/null)"');
  if (o.archive) L.push(...archive(o.archive));
  return L.join('\n') + '\n';
}

/** Ansible's switch_version: HEAD's branch, a remote branch (tracked), or anything else checked out detached. */
function switchVersion(e: GitEnv, o: ApplyOptions, depth: string): string[] {
  const L: string[] = [];
  const local = '"$G" show-ref --verify -q "refs/heads/$v"';
  if (e.version === 'HEAD') {
    L.push('b=$(hb)', 'run "M:Failed to checkout branch $b" "$G" checkout --force "$b"', 'run "M:Failed to checkout branch $b" "$G" reset --hard "$r/$b" --');
  } else if (o.isBranch) {
    if (o.depth !== undefined) L.push(`${local} || run "M:Failed to fetch branch from remote: $v" "$G" fetch --depth=${depth} "$r" "+refs/heads/$v:refs/heads/$v" "+refs/heads/$v:refs/remotes/$r/$v"`);
    L.push(
      `if ${local}; then`,
      '  run "M:Failed to checkout branch $v" "$G" checkout --force "$v"',
      '  run "M:Failed to checkout $v" "$G" reset --hard "$r/$v"',
      'else',
      '  run "M:Failed to checkout $v" "$G" checkout --track -b "$v" "$r/$v"',
      'fi',
    );
  } else {
    L.push('run "M:Failed to checkout $v" "$G" checkout --force "$v"');
  }
  if (o.verifyCommit) L.push(...verify());
  return L;
}

/** Ansible's verify_commit_sign: verify-tag for an annotated tag, else verify-commit. */
function verify(): string[] {
  return [
    'if [ "$("$G" cat-file -t "refs/tags/$v" 2>/dev/null)" = tag ]; then s=verify-tag; else s=verify-commit; fi',
    'run "M:Failed to verify GPG signature of commit/tag \\"$v\\"" "$G" $s "$v"',
  ];
}

/** Ansible's submodules_fetch (did anything change?) then submodule_update when something did. */
function submodules(o: ApplyOptions): string[] {
  return [
    'if [ -f .gitmodules ]; then',
    '  sc=0',
    '  for p in $(awk -F= \'$1 ~ /^[ \\t]*path[ \\t]*$/ { gsub(/^[ \\t]+|[ \\t]+$/, "", $2); print $2 }\' .gitmodules); do [ -e "$p/.git" ] || sc=1; done',
    '  if [ $sc = 0 ]; then',
    '    run "M:Unable to determine hashes of submodules" "$G" submodule foreach "$G" rev-parse HEAD; b0=$(cat "$t/o")',
    '    run S "$G" submodule foreach "$G" fetch',
    o.trackSubmodules
      ? '    run "M:Unable to determine hashes of submodules" "$G" submodule foreach "$G" rev-parse "$r/master"; [ "$(cat "$t/o")" = "$b0" ] || sc=1'
      : '    run S "$G" submodule status; grep -q "^[^ ]" "$t/o" && sc=1',
    '  fi',
    '  if [ $sc = 1 ]; then',
    '    echo submodules_changed=1',
    '    run S "$G" submodule sync',
    `    run "P:Failed to init/update submodules: " "$G" submodule update --init --recursive${o.trackSubmodules ? ' --remote' : ''}${o.force ? ' --force' : ''}`,
    '  fi',
    'fi',
  ];
}

/** Ansible's create_archive: a new archive is compared with the one there (changed only when they differ). */
function archive(a: { path: string; format: string; prefix?: string }): string[] {
  const prefix = a.prefix !== undefined ? `--prefix ${shq(a.prefix)} ` : '';
  return [
    `ar=${shq(a.path)}`,
    `run "M:Failed to perform archive operation" "$G" archive --format ${shq(a.format)} --output "$t/new" ${prefix}"$v"`,
    'if [ -e "$ar" ] && cmp -s -- "$t/new" "$ar"; then echo archive_changed=0; else mv -f -- "$t/new" "$ar" || { printf "fail=M:Failed to move the archive to %s\\n" "$ar"; exit 0; }; echo archive_changed=1; fi',
  ];
}
