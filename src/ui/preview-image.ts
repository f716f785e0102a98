/** Drawing of the small images a model takes as input, such as a 28x28 Fashion-MNIST image. */

/**
 * Draws 8-bit pixels (row-major, 0 = black) on a canvas at one canvas pixel per image pixel, and
 * sizes the canvas to the image: `width * height` gray values, or `width * height` RGB triples
 * (interleaved) for a colour model. Scale it up with CSS; `image-rendering: pixelated` keeps the
 * pixels sharp.
 */
export function drawPreview(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, width: number, height: number): void {
  const area = width * height;
  if (pixels.length !== area && pixels.length !== area * 3) {
    throw new RangeError(`A ${width}x${height} preview needs ${area} gray or ${area * 3} RGB values, not ${pixels.length}.`);
  }
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return;

  const channels = pixels.length / area;
  const image = context.createImageData(width, height);
  for (let i = 0; i < area; i++) {
    for (let c = 0; c < 3; c++) image.data[i * 4 + c] = pixels[i * channels + (channels === 3 ? c : 0)]!;
    image.data[i * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}
