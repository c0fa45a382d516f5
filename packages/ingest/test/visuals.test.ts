import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listVisuals, VisualFiles } from '@agentlogs/local-store';
import { describe, expect, it } from 'vitest';
import { rowId } from '../src/ids.js';
import { importTranscripts } from '../src/import.js';
import { DEVICE, freshStore, OWN, projectsTree, tempDir } from './helpers.js';

const FIXTURE = join(OWN, 'screenshot-session.jsonl');
const SESSION = '5c1e0b7a-3f7e-4c2a-9a51-0d6f2b9e4c11';

/** The decoded images of the fixture, in line order, with their turn's first line uuid. */
function imagesOfFixture(): { uuid: string; bytes: Buffer; sha256: string }[] {
  const found: { uuid: string; bytes: Buffer; sha256: string }[] = [];
  for (const text of readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean)) {
    const line = JSON.parse(text) as { uuid: string; message: { content: unknown } };
    const walk = (blocks: unknown): void => {
      if (!Array.isArray(blocks)) return;
      for (const block of blocks as Record<string, unknown>[]) {
        if (block.type === 'image') {
          const bytes = Buffer.from((block.source as { data: string }).data, 'base64');
          found.push({ uuid: line.uuid, bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
        }
        if (block.type === 'tool_result') walk(block.content);
      }
    };
    walk(line.message.content);
  }
  return found;
}

describe('images in transcripts become visuals', () => {
  it('stores each image once in the data folder by SHA-256 and links a visual to each turn holding it', async () => {
    const db = freshStore();
    const root = projectsTree({ webapp: [FIXTURE] });
    const run = () =>
      importTranscripts(db.sqlite, {
        roots: { claude_code: [root] },
        deviceId: DEVICE,
        now: () => new Date(),
      });
    await run();

    const images = imagesOfFixture();
    expect(images).toHaveLength(3);
    expect(new Set(images.map((i) => i.sha256)).size).toBe(2);

    const visuals = await listVisuals(db);
    const sessionRow = rowId.claudeSession(SESSION);
    const expected = images.map((image) => {
      const turnId = rowId.claudeTurn(SESSION, image.uuid);
      return {
        id: rowId.visual(turnId, image.sha256),
        turnId,
        sessionId: sessionRow,
        sha256: image.sha256,
        mediaType: 'image/png',
        extension: 'png',
        byteSize: image.bytes.length,
      };
    });
    expect(
      visuals.map(({ id, turnId, sessionId, sha256, mediaType, extension, byteSize }) => ({
        id,
        turnId,
        sessionId,
        sha256,
        mediaType,
        extension,
        byteSize,
      })),
    ).toEqual(expect.arrayContaining(expected));
    expect(visuals).toHaveLength(3);
    // Each visual of a turn in a segment takes the segment's commit.
    const commits = db.sqlite
      .prepare('select v.commit_id as v, t.commit_id as t from visuals v join turns t on t.id = v.turn_id')
      .all() as {
      v: string | null;
      t: string | null;
    }[];
    expect(commits.every((c) => c.v !== null && c.v === c.t)).toBe(true);

    const files = VisualFiles.besideDatabase(db.path);
    expect(
      files
        .list()
        .map((f) => f.sha256)
        .sort(),
    ).toEqual([...new Set(images.map((i) => i.sha256))].sort());
    for (const image of images) expect(files.read(image.sha256, 'png')!.equals(image.bytes)).toBe(true);

    // Importing again changes nothing.
    const before = db.sqlite.prepare('select id, version from visuals order by id').all();
    await run();
    expect(db.sqlite.prepare('select id, version from visuals order by id').all()).toEqual(before);
  });

  it('a file whose bytes no longer match its hash is not served', async () => {
    const db = freshStore();
    await importTranscripts(db.sqlite, {
      roots: { claude_code: [projectsTree({ webapp: [FIXTURE] })] },
      deviceId: DEVICE,
      now: () => new Date(),
    });
    const [visual] = await listVisuals(db, { limit: 1 });
    const files = VisualFiles.besideDatabase(db.path);
    const path = files.pathOf(visual!.sha256, visual!.extension);
    writeFileSync(path, 'not the image');
    expect(files.read(visual!.sha256, visual!.extension)).toBeNull();
    expect(files.has(visual!.sha256, visual!.extension)).toBe(false);
  });

  it('a Codex CLI input_image (a data URL) becomes a visual of its turn', async () => {
    const db = freshStore();
    const image = imagesOfFixture()[1]!;
    const rollout = '0197a1b2-0000-7000-8000-00000000face';
    const lines = [
      {
        timestamp: '2026-06-01T10:00:00.000Z',
        type: 'session_meta',
        payload: { id: rollout, cwd: '/home/dev/shop' },
      },
      {
        timestamp: '2026-06-01T10:00:05.000Z',
        type: 'response_item',
        payload: {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is wrong in this screenshot?' },
            { type: 'input_image', image_url: `data:image/png;base64,${image.bytes.toString('base64')}` },
          ],
        },
      },
    ];
    const sessions = join(tempDir(), 'sessions');
    mkdirSync(join(sessions, '2026', '06', '01'), { recursive: true });
    writeFileSync(
      join(sessions, '2026', '06', '01', `rollout-2026-06-01T10-00-00-${rollout}.jsonl`),
      lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
    );
    await importTranscripts(db.sqlite, {
      roots: { codex: [sessions] },
      deviceId: DEVICE,
      now: () => new Date(),
    });
    const visuals = await listVisuals(db);
    expect(visuals).toHaveLength(1);
    const turn = db.sqlite.prepare('select id, content from turns where id = ?').get(visuals[0]!.turnId) as {
      content: string;
    };
    expect(turn.content).toBe('What is wrong in this screenshot?');
    expect(visuals[0]).toMatchObject({
      sha256: image.sha256,
      mediaType: 'image/png',
      byteSize: image.bytes.length,
    });
    expect(VisualFiles.besideDatabase(db.path).read(image.sha256, 'png')!.equals(image.bytes)).toBe(true);
  });
});
