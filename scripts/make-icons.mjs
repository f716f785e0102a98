#!/usr/bin/env node
// Writes the PNG app icons that public/manifest.webmanifest lists, drawn like public/favicon.svg:
// a blue rounded square with two overlapping white rings.
//
//   public/icons/icon-192.png, icon-512.png   rounded square, transparent corners ("any")
//   public/icons/maskable-512.png             full square, rings inside the central 80% ("maskable")
//
// Each pixel is the average of 4x4 samples, for smooth edges. The output depends only on this
// script, so running it again gives identical files.
//
// Usage, from the repository root: node scripts/make-icons.mjs
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";

const OUT_DIR = "public/icons";
const SAMPLES = 4;
const BLUE = [0x1f, 0x5f, 0xbf];
const WHITE = [0xff, 0xff, 0xff];

// The favicon's geometry, in its 64x64 viewBox.
const VIEWBOX = 64;
const CORNER_RADIUS = 14;
const RINGS = [
  { cx: 24, cy: 32 },
  { cx: 40, cy: 32 },
];
const RING_RADIUS = 11;
const RING_STROKE = 5;

function insideRoundedSquare(x, y, radius) {
  const dx = Math.max(radius - x, 0, x - (VIEWBOX - radius));
  const dy = Math.max(radius - y, 0, y - (VIEWBOX - radius));
  return dx * dx + dy * dy <= radius * radius;
}

function onRing(x, y, scale) {
  const center = VIEWBOX / 2;
  // Maskable icons scale the rings about the centre, so they stay inside the safe zone.
  const rx = center + (x - center) / scale;
  const ry = center + (y - center) / scale;
  return RINGS.some(({ cx, cy }) => Math.abs(Math.hypot(rx - cx, ry - cy) - RING_RADIUS) <= RING_STROKE / 2);
}

/** Returns the colour and coverage (0 to 1) of one sample point in viewBox units. */
function sample(x, y, { maskable }) {
  const inside = maskable || insideRoundedSquare(x, y, CORNER_RADIUS);
  if (!inside) return null;
  return onRing(x, y, maskable ? 0.8 : 1) ? WHITE : BLUE;
}

function drawIcon(size, options) {
  const png = new PNG({ width: size, height: size });
  const unit = VIEWBOX / size;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let red = 0;
      let green = 0;
      let blue = 0;
      let covered = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const colour = sample((px + (sx + 0.5) / SAMPLES) * unit, (py + (sy + 0.5) / SAMPLES) * unit, options);
          if (!colour) continue;
          red += colour[0];
          green += colour[1];
          blue += colour[2];
          covered++;
        }
      }
      const offset = (py * size + px) * 4;
      // Colours are averaged over the covered samples only, so edges fade in alpha, not to black.
      png.data[offset] = covered ? Math.round(red / covered) : 0;
      png.data[offset + 1] = covered ? Math.round(green / covered) : 0;
      png.data[offset + 2] = covered ? Math.round(blue / covered) : 0;
      png.data[offset + 3] = Math.round((255 * covered) / (SAMPLES * SAMPLES));
    }
  }
  return PNG.sync.write(png);
}

mkdirSync(OUT_DIR, { recursive: true });
const icons = [
  { file: "icon-192.png", size: 192, maskable: false },
  { file: "icon-512.png", size: 512, maskable: false },
  { file: "maskable-512.png", size: 512, maskable: true },
];
for (const icon of icons) {
  const path = join(OUT_DIR, icon.file);
  writeFileSync(path, drawIcon(icon.size, icon));
  console.log(`wrote ${path} (${icon.size}x${icon.size})`);
}
