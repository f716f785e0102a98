/** Drawing of the small grayscale images a model takes as input, such as a 28x28 Fashion-MNIST image. */

/**
 * Draws 8-bit grayscale pixels (row-major, 0 = black) on a canvas at one canvas pixel per image
 * pixel, and sizes the canvas to the image. Scale it up with CSS; `image-rendering: pixelated`
 * keeps the pixels sharp.
 */
export function drawGrayscale(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, width: number, height: number): void {
  if (pixels.length !== width * height) {
    throw new RangeError(`A ${width}x${height} grayscale image needs ${width * height} pixels, not ${pixels.length}.`);
  }
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return;

  const image = context.createImageData(width, height);
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i]!;
    image.data[i * 4] = value;
    image.data[i * 4 + 1] = value;
    image.data[i * 4 + 2] = value;
    image.data[i * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}
