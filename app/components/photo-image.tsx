import { rgbaToDataURL, thumbHashToRGBA } from "thumbhash";
import { useMemo } from "react";

interface Props {
  photo: { id: number; width: number; height: number; placeholder: string; alt: string };
  rendition: "thumb" | "display";
  className?: string;
  loading?: "lazy" | "eager";
}

// Decoding a ThumbHash into a PNG data URL (~0.3 ms) cost more than the rest of a feed card's render,
// on every render of every card; pages show the same recent photos to everyone, so each hash is
// decoded once and remembered, the least recently used forgotten past the bound (~1 KB each).
const DECODED_MAX = 1000;
const decoded = new Map<string, string | null>();

/**
 * The longest side of the placeholder image. ThumbHash decodes to 32 px, an uncompressed PNG of
 * ~4 KB in every page that shows the photo (30 KB of "Mes contributions"); its few low frequencies
 * lose nothing visible at 12 px, which the browser scales up smoothly behind the photo (~1 KB).
 */
const PLACEHOLDER_SIDE = 12;

function placeholderImage(hash: Uint8Array): string {
  const { w, h, rgba } = thumbHashToRGBA(hash);
  const step = Math.max(1, Math.ceil(Math.max(w, h) / PLACEHOLDER_SIDE));
  const [sw, sh] = [Math.ceil(w / step), Math.ceil(h / step)];
  const small = new Uint8Array(sw * sh * 4);
  for (let sy = 0; sy < sh; sy++) {
    for (let sx = 0; sx < sw; sx++) {
      // Each small pixel is the mean of the block of decoded pixels it covers.
      const sum = [0, 0, 0, 0];
      let n = 0;
      for (let y = sy * step; y < Math.min(h, (sy + 1) * step); y++) {
        for (let x = sx * step; x < Math.min(w, (sx + 1) * step); x++, n++) {
          for (let c = 0; c < 4; c++) sum[c] += rgba[(y * w + x) * 4 + c];
        }
      }
      for (let c = 0; c < 4; c++) small[(sy * sw + sx) * 4 + c] = Math.round(sum[c] / n);
    }
  }
  return rgbaToDataURL(sw, sh, small);
}

export function placeholderDataUrl(hash: string): string | undefined {
  let url = decoded.get(hash);
  if (url === undefined) {
    try {
      url = placeholderImage(Uint8Array.from(atob(hash), (c) => c.charCodeAt(0)));
    } catch {
      url = null;
    }
    if (decoded.size >= DECODED_MAX) decoded.delete(decoded.keys().next().value!);
  } else {
    decoded.delete(hash); // moved to the end: the most recently used
  }
  decoded.set(hash, url);
  return url ?? undefined;
}

/**
 * A photo at its intrinsic ratio with its ThumbHash as background, so the page does not jump and
 * shows a blurred preview while the file loads.
 */
export function PhotoImage({ photo, rendition, className, loading = "lazy" }: Props) {
  const placeholder = useMemo(() => placeholderDataUrl(photo.placeholder), [photo.placeholder]);
  const max = rendition === "thumb" ? 400 : 1280;
  const scale = Math.min(1, max / Math.max(photo.width, photo.height));
  return (
    <img
      src={`/photos/${photo.id}/${rendition}`}
      alt={photo.alt}
      width={Math.round(photo.width * scale)}
      height={Math.round(photo.height * scale)}
      loading={loading}
      decoding="async"
      className={className ? `photo ${className}` : "photo"}
      style={placeholder ? { backgroundImage: `url(${placeholder})`, backgroundSize: "cover" } : undefined}
    />
  );
}
