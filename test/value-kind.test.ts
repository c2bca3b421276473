import t from 'tap';
import { describeValue, isPlainObject, kindOf, pythonTypeName } from '../lib/value-kind.js';

t.test('isPlainObject: mappings only, not lists, Buffers or class instances', async (t) => {
  t.ok(isPlainObject({ a: 1 }));
  t.ok(isPlainObject(Object.create(null)));
  for (const v of [null, undefined, [], 'x', 1, Buffer.from('x'), new Map(), new Date(0), new (class Undef {})()]) {
    t.notOk(isPlainObject(v), `${Object.prototype.toString.call(v)} is not a plain object`);
  }
});

t.test('describeValue: the three wordings the layers use, one function', async (t) => {
  // playbook loading
  t.equal(describeValue(undefined, { nothing: 'nothing' }), 'nothing');
  t.equal(describeValue('lots'), 'the string "lots"');
  t.equal(describeValue(5), 'the number 5');
  t.equal(describeValue(true), 'the boolean true');
  // inventories and vars files
  t.equal(describeValue('22x', { scalar: 'a' }), 'a string ("22x")');
  t.equal(describeValue(0, { scalar: 'a' }), 'a number (0)');
  t.equal(describeValue(null, { scalar: 'a' }), 'null');
  // module arguments: the string as typed, a secret by its type only
  t.equal(describeValue('abc', { scalar: 'quoted' }), "'abc'");
  t.equal(describeValue(1.5, { scalar: 'quoted' }), 'the number 1.5');
  t.equal(describeValue('hunter2', { scalar: 'quoted', secret: true }), 'a string (value hidden)');
  // containers read the same in every style, and a secret container is not printed either
  for (const style of [{}, { scalar: 'a' as const }, { scalar: 'quoted' as const, secret: true }]) {
    t.equal(describeValue([1], style), 'a list');
    t.equal(describeValue({ k: 'hunter2' }, style), 'a mapping');
  }
  // YAML .inf / .nan: the number as JS prints it (JSON would say null)
  t.equal(describeValue(Infinity), 'the number Infinity');
});

t.test('kindOf and pythonTypeName', async (t) => {
  t.same([null, [], {}, 'x', 1].map(kindOf), ['null', 'list', 'mapping', 'string', 'number']);
  t.same([null, undefined, true, 1, 1.5, 'x', [], {}, () => 0, new Map()].map(pythonTypeName), ['NoneType', 'NoneType', 'bool', 'int', 'float', 'str', 'list', 'dict', 'function', 'object']);
});
