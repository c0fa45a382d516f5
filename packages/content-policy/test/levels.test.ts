import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ContentKey,
  compileRuleset,
  deriveKey,
  type FieldCopy,
  fieldFullness,
  isContentLevel,
  isEnvelope,
  isFieldState,
  lastPathComponent,
  mayReplaceField,
  newKdfParams,
  openField,
  projectForLevel,
  type RecordFieldsSpec,
} from '../src/index.js';
import { FakeSecrets } from './fake-secrets.js';

describe('field states: may an incoming copy replace the local one?', () => {
  const plain: FieldCopy = { state: 'plain' };
  const redacted: FieldCopy = { state: 'redacted' };
  const withheld: FieldCopy = { state: 'withheld' };
  const locked: FieldCopy = { state: 'encrypted', decryptable: false };
  const openPlain: FieldCopy = { state: 'encrypted', decryptable: true };
  const openRedacted: FieldCopy = { state: 'encrypted', decryptable: true, sealedState: 'redacted' };

  it('plain beats redacted beats withheld', () => {
    expect(mayReplaceField(redacted, plain)).toBe(true);
    expect(mayReplaceField(withheld, redacted)).toBe(true);
    expect(mayReplaceField(withheld, plain)).toBe(true);
    expect(mayReplaceField(plain, redacted)).toBe(false);
    expect(mayReplaceField(plain, withheld)).toBe(false);
    expect(mayReplaceField(redacted, withheld)).toBe(false);
  });

  it('a copy of the same fullness replaces (the newer version wins as usual); nothing local takes anything', () => {
    for (const copy of [plain, redacted, withheld, locked, openPlain]) {
      expect(mayReplaceField(copy, copy)).toBe(true);
      expect(mayReplaceField(undefined, copy)).toBe(true);
    }
  });

  it('an encrypted copy this machine decrypts counts as what it sealed', () => {
    expect(fieldFullness(openPlain)).toBe(fieldFullness(plain));
    expect(fieldFullness(openRedacted)).toBe(fieldFullness(redacted));
    expect(mayReplaceField(plain, openPlain)).toBe(true);
    expect(mayReplaceField(openPlain, plain)).toBe(true);
    expect(mayReplaceField(plain, openRedacted)).toBe(false);
    expect(mayReplaceField(redacted, openPlain)).toBe(true);
  });

  it('a locked copy never replaces a readable one, but beats a withheld one', () => {
    expect(mayReplaceField(plain, locked)).toBe(false);
    expect(mayReplaceField(redacted, locked)).toBe(false);
    expect(mayReplaceField(openPlain, locked)).toBe(false);
    expect(mayReplaceField(withheld, locked)).toBe(true);
    expect(mayReplaceField(locked, plain)).toBe(true);
    expect(mayReplaceField(locked, withheld)).toBe(false);
  });

  it('guards recognise levels and states', () => {
    expect(['metrics', 'redacted', 'full', 'all'].map(isContentLevel)).toEqual([true, true, true, false]);
    expect(['plain', 'redacted', 'withheld', 'encrypted', 'locked'].map(isFieldState)).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('projectForLevel', () => {
  const fake = new FakeSecrets(5);
  const token = fake.githubPat();
  const spec: RecordFieldsSpec = {
    text: ['prompt', 'tool_output', 'title', 'tool_input'],
    projectPath: ['project_path'],
  };
  const turn = {
    id: 'turn-1',
    session_id: 'session-1',
    started_at: '2026-12-04T16:39:26.000Z',
    model: 'claude-sonnet-4-5',
    input_tokens: 1200,
    output_tokens: 345,
    prompt: `push with GITHUB_TOKEN=${token} please`,
    tool_output: 'done, 3 files changed',
    tool_input: { command: `gh auth login --with-token <<< ${token}` },
    title: null,
    project_path: '/home/ada/work/agentlogs/',
  };
  const metrics = { id: 'turn-1', session_id: 'session-1', started_at: turn.started_at, model: turn.model };

  it('metrics: text withheld, the project path reduced to its last component, metrics unchanged', () => {
    const out = projectForLevel('metrics', spec, turn);
    expect(out.values).toEqual({
      ...metrics,
      input_tokens: 1200,
      output_tokens: 345,
      prompt: null,
      tool_output: null,
      tool_input: null,
      title: null,
      project_path: 'agentlogs',
    });
    expect(out.states).toEqual({
      prompt: 'withheld',
      tool_output: 'withheld',
      tool_input: 'withheld',
      title: 'withheld',
      project_path: 'redacted',
    });
  });

  it('redacted: text fields redacted, findings reported per field', () => {
    const out = projectForLevel('redacted', spec, turn);
    expect(out.values.prompt).toBe('push with GITHUB_TOKEN=[REDACTED:github-pat] please');
    expect(out.values.tool_output).toBe('done, 3 files changed');
    expect(out.values.tool_input).toBe('{"command":"gh auth login --with-token <<< [REDACTED:github-pat]"}');
    expect(out.values.project_path).toBe(turn.project_path);
    expect(out.values.input_tokens).toBe(1200);
    expect(out.states).toMatchObject({
      prompt: 'redacted',
      tool_output: 'redacted',
      project_path: 'redacted',
    });
    expect(Object.keys(out.findings).sort()).toEqual(['prompt', 'tool_input']);
    expect(JSON.stringify(out.values)).not.toContain(token);
  });

  it('redacted with user patterns', () => {
    const ruleset = compileRuleset({ patterns: ['\\bada\\b'] });
    const out = projectForLevel('redacted', spec, turn, { ruleset });
    expect(out.values.project_path).toBe('/home/[REDACTED:user-pattern-0]/work/agentlogs/');
  });

  it('full: everything as it is', () => {
    const out = projectForLevel('full', spec, turn);
    expect(out.values).toEqual(turn);
    expect(out.states).toEqual({
      prompt: 'plain',
      tool_output: 'plain',
      tool_input: 'plain',
      title: 'plain',
      project_path: 'plain',
    });
    expect(out.findings).toEqual({});
  });

  describe('with encryption', () => {
    let key: ContentKey;
    beforeAll(async () => {
      key = await deriveKey('a long passphrase', newKdfParams({ N: 2 ** 14 }));
    });

    it('text fields are encrypted on top, bound to their column; metrics stay readable', () => {
      const encryption = { key, table: 'turns', id: 'turn-1' };
      const out = projectForLevel('redacted', spec, turn, { encryption });
      for (const field of ['prompt', 'tool_output', 'tool_input', 'project_path']) {
        expect(isEnvelope(out.values[field]), field).toBe(true);
        expect(out.states[field]).toBe('encrypted');
      }
      expect(out.values.title).toBeNull();
      expect(out.values.input_tokens).toBe(1200);
      expect(out.values.model).toBe(turn.model);
      expect(out.values.started_at).toBe(turn.started_at);
      const opened = openField(key, out.values.prompt as string, {
        table: 'turns',
        id: 'turn-1',
        column: 'prompt',
      });
      expect(opened).toEqual({
        text: 'push with GITHUB_TOKEN=[REDACTED:github-pat] please',
        state: 'redacted',
      });

      const full = projectForLevel('full', spec, turn, { encryption });
      const context = { table: 'turns', id: 'turn-1', column: 'tool_output' };
      expect(openField(key, full.values.tool_output as string, context)).toEqual({
        text: 'done, 3 files changed',
        state: 'plain',
      });
      expect(() =>
        openField(key, full.values.tool_output as string, { ...context, column: 'prompt' }),
      ).toThrow();

      const onlyMetrics = projectForLevel('metrics', spec, turn, { encryption });
      expect(onlyMetrics.values.prompt).toBeNull();
      expect(onlyMetrics.states.prompt).toBe('withheld');
      const path = { table: 'turns', id: 'turn-1', column: 'project_path' };
      expect(openField(key, onlyMetrics.values.project_path as string, path).text).toBe('agentlogs');
    });
  });

  it('lastPathComponent handles both separators and trailing ones', () => {
    expect(lastPathComponent('/home/ada/work/app')).toBe('app');
    expect(lastPathComponent('/home/ada/work/app/')).toBe('app');
    expect(lastPathComponent('C:\\Users\\ada\\src\\app')).toBe('app');
    expect(lastPathComponent('app')).toBe('app');
    expect(lastPathComponent('/')).toBe('');
  });
});
