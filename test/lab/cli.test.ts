import t from 'tap';
import { PassThrough } from 'node:stream';
import { parse } from 'yaml';
import { LabError, OptionsError } from '../../lib/errors.js';
import { labCommand, LAB_USAGE } from '../../lib/lab/cli.js';
import { labDown } from '../../lib/lab/lab.js';

const NAME = 'tlabcli';

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => (text += b.toString()));
  const code = await labCommand(argv, out);
  return { code, out: text };
}

t.test('bad options are OptionsError with a one-line message', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /expected a subcommand/],
    [['fly'], /unknown subcommand 'fly'/],
    [['up'], /expected the number of hosts/],
    [['up', 'three'], /got 'three'/],
    [['up', '0', '--name', NAME], /integer from 1 to 200/],
    [['up', '2', '--color', 'red'], /unknown option '--color' \(supported: --domain, --subnet, --name, --init, --family, --packages\)/],
    [['up', '2', '--init', 'upstart', '--name', NAME], /invalid lab init 'upstart': expected sshd or systemd/],
    [['up', '2', '--family', 'suse', '--name', NAME], /invalid lab family 'suse'/],
    [['up', '2', '--packages', 'Bad Name', '--name', NAME], /invalid package name 'Bad Name'/],
    [['packages', 'remove', 'x'], /unknown action 'remove'/],
    [['packages', 'add'], /expected package names/],
    [['ssh', '--name', 'a', 'node1', '--name', 'b'], /--name given twice/],
    [['up', '2', '--subnet'], /--subnet needs a value/],
    [['up', '2', '--subnet=192.168.1.0/24'], /inside 10\.66\.0\.0\/16/],
    [['up', '2', '3'], /unexpected argument '3'/],
    [['down', '--name', 'No-'], /invalid lab name 'No-': use 1-24 letters/],
    [['status', '-x'], /unknown option '-x'/],
    [['ssh'], /expected a host name/],
  ];
  for (const [argv, re] of cases) {
    try {
      await cli(argv);
      t.fail(`bosun lab ${argv.join(' ')} should throw`);
    } catch (e) {
      const err = e as Error;
      t.ok(err instanceof OptionsError, `${argv.join(' ')}: ${err.message}`);
      t.match(err.message, re);
      t.notMatch(err.message, /\n/);
    }
  }
  await t.rejects(cli(['inventory', '--name', 'tlab-not-up']), LabError, 'inventory of a lab that is not up');
  const help = await cli(['--help']);
  t.equal(help.code, 0);
  t.equal(help.out, LAB_USAGE + '\n');
  const upHelp = await cli(['up', '--help']);
  t.equal(upHelp.out, LAB_USAGE + '\n', 'bosun lab up --help documents the options');
  for (const opt of ['--init systemd', '--family redhat', '--packages', 'not a security boundary']) t.match(upHelp.out, opt);
});

t.test('up, status, inventory, ssh, down through the CLI', async (t) => {
  await labDown(NAME);
  t.teardown(() => labDown(NAME));
  // What operators type: upper case becomes lower case (the lab is NAME).
  const up = await cli(['up', '2', '--name', NAME.toUpperCase(), '--subnet=10.66.251.0/24', '--domain', 'cli.test']);
  t.equal(up.code, 0);
  t.match(up.out, `lab ${NAME} is up: 2 hosts in 10.66.251.0/24 (domain cli.test, init sshd)`);
  t.match(up.out, 'node2\t10.66.251.12\tnode2.cli.test');

  const status = await cli(['status', '--name', NAME]);
  t.equal(status.code, 0);
  t.match(status.out, '2/2 hosts up, init sshd, family debian');
  t.match(status.out, /node1\t10\.66\.251\.11\tup \(pid \d+\)/);

  const inv = parse((await cli(['inventory', '--name', NAME, '--group', 'etcd_nodes'])).out) as {
    all: { children: { etcd_nodes: { hosts: Record<string, { fqdn: string }> } } };
  };
  t.same(Object.keys(inv.all.children.etcd_nodes.hosts), ['node1', 'node2']);
  t.equal(inv.all.children.etcd_nodes.hosts.node1?.fqdn, 'node1.cli.test');

  await t.rejects(cli(['inventory', '--name', NAME, '--group', 'a b']), OptionsError);

  // ssh inherits stdio, so the exit code carries the result.
  t.equal((await cli(['ssh', '--name', NAME, 'node2', 'test', '"$(hostname)"', '=', 'node2'])).code, 0);
  t.equal((await cli(['ssh', '--name', NAME, 'node1.cli.test', 'exit', '3'])).code, 3);
  // --name after the host works too; the rest is the remote command, options included.
  t.equal((await cli(['ssh', 'node2', '--name', NAME, 'test', '"$(hostname)"', '=', 'node2'])).code, 0);
  t.equal((await cli(['ssh', 'node2', `--name=${NAME}`, 'exit', '4'])).code, 4);
  t.equal((await cli(['ssh', 'node1', '--name', NAME, 'sh', '-c', '"exit 5"'])).code, 5, 'options after the command are the command\'s');
  await t.rejects(cli(['ssh', '--name', NAME, 'node7', 'true']), /no host 'node7'/);

  const pk = await cli(['packages']);
  t.match(pk.out, /^lab package repository \/\S+: /, 'bosun lab packages lists the repository');

  const down = await cli(['down', '--name', NAME]);
  t.equal(down.code, 0);
  const after = await cli(['status', '--name', NAME]);
  t.equal(after.code, 1);
  t.match(after.out, 'not up');
});
