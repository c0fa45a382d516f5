import { createHash } from 'node:crypto';
import { rowId } from './ids.js';
import type { RecordBatch, TurnRecord } from './records.js';

/** An image block of a transcript: its media type and its base64 text. */
export interface ImageBlock {
  mediaType: string;
  /** The base64 text as the transcript holds it. */
  data: string;
}

/** `data:image/png;base64,…` (how Codex CLI writes `input_image`), as an image block; null otherwise. */
export function dataUrlImage(url: unknown): ImageBlock | null {
  if (typeof url !== 'string') return null;
  const match = /^data:([^;,]+);base64,/.exec(url);
  if (!match) return null;
  return { mediaType: match[1]!, data: url.slice(match[0].length) };
}

/**
 * The images of a transcript line become visuals of its turn: one per turn and image content (a line read again
 * adds nothing). Blocks that are not valid base64 are skipped.
 */
export function addVisuals(
  batch: RecordBatch,
  turn: TurnRecord,
  images: readonly ImageBlock[],
  capturedAt: string,
): void {
  for (const image of images) {
    const bytes = Buffer.from(image.data, 'base64');
    if (bytes.length === 0) continue;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const id = rowId.visual(turn.id, sha256);
    if (batch.visuals.has(id)) continue;
    batch.visuals.set(id, {
      id,
      turnId: turn.id,
      sessionId: turn.sessionId,
      sha256,
      mediaType: image.mediaType,
      bytes,
      capturedAt,
    });
  }
}
