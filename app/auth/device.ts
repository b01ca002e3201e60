/**
 * The browser and system of a User-Agent header as two short names ("Firefox", "Windows"), for the
 * list of one's sessions. Only families, never versions: the whole header identifies a device too
 * well to keep, and a person recognises their sessions by these two words. Order matters: Edge and
 * Opera also say "Chrome", Chrome also says "Safari", Android also says "Linux".
 */
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, "Edge"],
  [/\b(OPR|Opera)\//, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\bVivaldi\//, "Vivaldi"],
  [/\b(Firefox|FxiOS)\//, "Firefox"],
  [/\b(Chrome|CriOS|Chromium)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
];

const PLATFORMS: [RegExp, string][] = [
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

export interface Device {
  browser: string | null;
  platform: string | null;
}

export function deviceOf(userAgent: string | null | undefined): Device {
  // A header is input: a few hundred characters are enough to recognise any real browser.
  const text = (userAgent ?? "").slice(0, 512);
  return {
    browser: BROWSERS.find(([pattern]) => pattern.test(text))?.[1] ?? null,
    platform: PLATFORMS.find(([pattern]) => pattern.test(text))?.[1] ?? null,
  };
}
