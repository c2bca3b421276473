// Generated expectations: every expected string below is what Ansible 2.14's Templar (Jinja2 with
// Ansible's filters and tests) printed for the same template and variables, not bosun's output.
import t from 'tap';
import { renderText } from '../../../lib/engine/jinja/index.js';

const V: Record<string, unknown> = {"s": "Hello World", "sp": "  pad  ", "n": 42, "f": 3.14159, "neg": -7, "l": [3, 1, 2], "ls": ["b", "a", "c"], "ll": [[1, 2], [3, [4, 5]]], "d": {"b": 2, "a": 1}, "users": [{"name": "al", "age": 30, "g": "x"}, {"name": "bo", "age": 20, "g": "y"}, {"name": "cy", "age": 40, "g": "x"}], "path": "/etc/app/conf.d/main.yml", "u": "h\u00e9llo", "multi": "a\nb\nc", "csv": "a,b,,c", "ver": "1.10.2", "empty": "", "none": null, "t": true, "nested": {"k": {"z": [1, {"deep": "v"}]}, "list": ["x", "y"]}, "kv": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]};

const render = (src: string): string => renderText(src, V, { file: 'case.j2' }, { file: true });

const CASES: Array<[string, string]> = [
 [
  "{{ 'secret' | password_hash('sha512', 'saltsalt') }}",
  "$6$rounds=656000$saltsalt$Vg7us3Hcq8rplCTNjwvGRwObM2xyfDZZ.XP2YLQ.ii85wAq/psu28uEfoMveNszsQWMgkWRxbZm2mBBlNn3.J0"
 ],
 [
  "{{ 'secret' | password_hash('sha256', 'saltsalt', rounds=5000) }}",
  "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"
 ],
 [
  "{{ 'secret' | password_hash('sha512_crypt', 'saltsalt', rounds=6000) }}",
  "$6$rounds=6000$saltsalt$TcDhk3vUDSxdkj1LteXIA0htMq0pABOdsvxFLaAf.9RFOU5G4Ss5YPBOHb6uwE8gqarkBzBeX3AE9KlDjd3pv0"
 ],
 [
  "{{ 'secret' | password_hash('sha512', 'saltsalt', rounds=5000) }}",
  "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
 ],
 [
  "{{ 'secret' | password_hash('sha256', 'abc', rounds=1000) }}",
  "$5$rounds=1000$abc$Mz4DiYKTnNKbZLo/mIp3d8Y4aQBhv3uhSwxLDy55/Y8"
 ],
 [
  "{{ 'a much longer password than sixty-four bytes to exercise the block loop, yes indeed it is' | password_hash('sha512', 'ABCDEFGHabcdefgh', rounds=1000) }}",
  "$6$rounds=1000$ABCDEFGHabcdefgh$944qjkG4Q3tGiylYRCmMGeLYXYMYNVdjtwepeVwQo6HS0lKzH3gRNMHplpj9dcqYa03rLVM6lrGWfL198PnmS1"
 ]
];

// Templates Ansible rejects (its message for reference); bosun must fail them too.
const ERRORS: Array<[string, string]> = [
 [
  "{{ 'x' | password_hash('sha256', 'a' * 20, rounds=1000) }}",
  "Could not hash the secret.. salt too large (sha256_crypt requires <= 16 chars). "
 ],
 [
  "{{ 'x' | password_hash('sha512', 'bad salt!') }}",
  "Could not hash the secret.. invalid characters in sha512_crypt salt. Could not h"
 ]
];

t.test('crypt: output as Ansible renders it', async (t) => {
  for (const [src, want] of CASES) t.equal(render(src), want, src);
});

t.test('crypt: errors where Ansible errors', async (t) => {
  for (const [src, ansible] of ERRORS) t.throws(() => render(src), src + ' (ansible: ' + ansible + ')');
});
