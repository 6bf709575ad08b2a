// dotenv parsing: the values a COMMAND gets, and the line a mistake is on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnvFile } from '../../dist/config/envfile.js';

describe('parseEnvFile', () => {
  test('plain, exported, quoted, commented', () => {
    const text = [
      '# a comment',
      '',
      'A=1',
      'export B=two words',
      'C="quoted # not a comment"',
      "D='single $HOME \\n'",
      'E="esc\\n\\t\\"q\\"\\\\"',
      'F=value # trailing comment',
      'G=',
      '  H = spaced  ',
      'I=a=b',
      'J="x" # ok',
    ].join('\n');
    assert.deepEqual(parseEnvFile(text), {
      vars: [
        ['A', '1'],
        ['B', 'two words'],
        ['C', 'quoted # not a comment'],
        ['D', 'single $HOME \\n'],
        ['E', 'esc\n\t"q"\\'],
        ['F', 'value'],
        ['G', ''],
        ['H', 'spaced'],
        ['I', 'a=b'],
        ['J', 'x'],
      ],
      problems: [],
    });
  });
  test('CRLF line ends', () =>
    assert.deepEqual(parseEnvFile('A=1\r\nB=2\r\n').vars, [
      ['A', '1'],
      ['B', '2'],
    ]));
  test('every bad line, by number', () => {
    const text = [
      'OK=1',
      'no equals sign',
      '1BAD=x',
      'Q="unterminated',
      "S='also",
      'T="x" junk',
    ].join('\n');
    assert.deepEqual(parseEnvFile(text).problems, [
      'line 2: expected KEY=VALUE',
      "line 3: '1BAD' is not a variable name",
      'line 4: unterminated double quote',
      'line 5: unterminated single quote',
      'line 6: unexpected text after the closing quote: junk',
    ]);
  });
});
