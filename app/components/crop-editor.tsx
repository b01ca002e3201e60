import { useState } from "react";
import { useTranslation } from "react-i18next";
import { cropRegion, type Focus } from "~/photos/renditions";

interface Props {
  /** Prefix of the two hidden fields, `<name>-x` and `<name>-y` (0..1). */
  name: string;
  photo: { id: number; width: number; height: number; alt: string };
  n: number;
  aspectName: string;
  ratio: { width: number; height: number };
  initial: Focus;
}

const STEP = 0.02;
const BIG_STEP = 0.1;
const clamp = (v: number) => Math.min(1, Math.max(0, Math.round(v * 1000) / 1000));

/**
 * The crop a channel will get, drawn over the photo with the same arithmetic the server cuts with
 * (cropRegion): the focal point moves with the arrow keys (Shift: bigger steps) or a click, and
 * its position is said to screen readers. No crop library: the box is fixed by the channel's
 * aspect, so only a point moves.
 */
export function CropEditor({ name, photo, n, aspectName, ratio, initial }: Props) {
  const { t } = useTranslation();
  const [focus, setFocus] = useState<Focus>(initial);
  const box = cropRegion(photo.width, photo.height, ratio, focus);
  const pct = (v: number, of: number) => `${(v / of) * 100}%`;
  const statusId = `${name}-status`;
  const move = (dx: number, dy: number) => setFocus((f) => ({ x: clamp(f.x + dx), y: clamp(f.y + dy) }));
  return (
    <div className="stack">
      <div
        className="crop-editor"
        tabIndex={0}
        role="application"
        aria-label={t("publishing.create.crop", { n, aspect: aspectName })}
        aria-describedby={statusId}
        onKeyDown={(event) => {
          const step = event.shiftKey ? BIG_STEP : STEP;
          const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
          const d = moves[event.key];
          if (!d) return;
          event.preventDefault();
          move(d[0], d[1]);
        }}
        onPointerDown={(event) => {
          const rect = event.currentTarget.getBoundingClientRect();
          setFocus({ x: clamp((event.clientX - rect.left) / rect.width), y: clamp((event.clientY - rect.top) / rect.height) });
        }}
      >
        <img src={`/photos/${photo.id}/display`} alt={photo.alt} width={photo.width} height={photo.height} draggable={false} />
        <span
          className="crop-box"
          aria-hidden="true"
          style={{ left: pct(box.left, photo.width), top: pct(box.top, photo.height), width: pct(box.width, photo.width), height: pct(box.height, photo.height) }}
        />
        <span className="crop-focus" aria-hidden="true" style={{ left: pct(focus.x, 1), top: pct(focus.y, 1) }} />
      </div>
      <p id={statusId} className="hint" aria-live="polite">
        {t("publishing.create.focus", { x: Math.round(focus.x * 100), y: Math.round(focus.y * 100) })}
      </p>
      <input type="hidden" name={`${name}-x`} value={focus.x} />
      <input type="hidden" name={`${name}-y`} value={focus.y} />
    </div>
  );
}
