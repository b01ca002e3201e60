import { thumbHashToDataURL } from "thumbhash";
import { useMemo } from "react";

interface Props {
  photo: { id: number; width: number; height: number; placeholder: string; alt: string };
  rendition: "thumb" | "display";
  className?: string;
  loading?: "lazy" | "eager";
}

/**
 * A photo at its intrinsic ratio with its ThumbHash as background, so the page does not jump and
 * shows a blurred preview while the file loads.
 */
export function PhotoImage({ photo, rendition, className, loading = "lazy" }: Props) {
  const placeholder = useMemo(() => {
    try {
      return thumbHashToDataURL(Uint8Array.from(atob(photo.placeholder), (c) => c.charCodeAt(0)));
    } catch {
      return undefined;
    }
  }, [photo.placeholder]);
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
