import { thumbHashToDataURL } from "thumbhash";
import { useMemo } from "react";

interface Props {
  photo: { id: number; width: number; height: number; placeholder: string; alt: string };
  rendition: "thumb" | "display";
  className?: string;
  loading?: "lazy" | "eager";
}

// Decoding a ThumbHash into a PNG data URL (~0.3 ms) cost more than the rest of a feed card's render,
// on every render of every card; pages show the same recent photos to everyone, so each hash is
// decoded once and remembered, the least recently used forgotten past the bound (~4 KB each).
const DECODED_MAX = 1000;
const decoded = new Map<string, string | null>();

export function placeholderDataUrl(hash: string): string | undefined {
  let url = decoded.get(hash);
  if (url === undefined) {
    try {
      url = thumbHashToDataURL(Uint8Array.from(atob(hash), (c) => c.charCodeAt(0)));
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
