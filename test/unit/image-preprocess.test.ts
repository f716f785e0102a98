import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  contentBox,
  crop,
  checkImageSection,
  estimateBackground,
  type ImageSpec,
  interleave,
  invert,
  isBlank,
  padToSquare,
  preprocessImage,
  previewLength,
  resizeArea,
  stretchContrast,
  tensorLength,
  toGrayscale,
  toRgbPlanes,
  toRgbTensor,
  toTensor,
} from "../../src/worker/preprocess/image";

const productPhotoManifest = JSON.parse(
  readFileSync(new URL("../../public/models/product-photo/manifest.json", import.meta.url), "utf8"),
) as { image: ImageSpec };

/** A 4x4 model with round numbers, so expected tensors are easy to compute by hand. */
const SMALL_SPEC: ImageSpec = {
  input: "pixels",
  layout: "NCHW",
  num_channels: 1,
  do_convert_grayscale: true,
  do_pad_square: true,
  pad_value: "background",
  do_resize: true,
  size: { height: 4, width: 4 },
  resample: "area",
  do_invert_light_background: true,
  background_threshold: 0.5,
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.5],
  image_std: [0.25],
};

function expectPixels(actual: ArrayLike<number>, expected: number[], digits = 4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(actual[i], `pixel ${i}`).toBeCloseTo(expected[i], digits);
  }
}

/** Builds opaque RGBA pixels with red = green = blue = each gray value. */
function grayToRgba(gray: ArrayLike<number>): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(gray.length * 4);
  for (let i = 0; i < gray.length; i++) {
    rgba.set([gray[i], gray[i], gray[i], 255], i * 4);
  }
  return rgba;
}

describe("toGrayscale", () => {
  it("applies BT.601 luma weights", () => {
    // prettier-ignore
    const rgba = [
      255, 0, 0, 255,    0, 255, 0, 255,   0, 0, 255, 255,   10, 20, 30, 255,
      100, 100, 100, 255, 255, 255, 255, 255, 0, 0, 0, 255, 200, 100, 50, 255,
    ];
    const gray = toGrayscale(rgba, 4, 2);
    expectPixels(gray, [76.245, 149.685, 29.07, 18.15, 100, 255, 0, 124.2]);
  });

  it("composites alpha over white", () => {
    const rgba = [0, 0, 0, 0, 0, 0, 0, 51, 100, 100, 100, 102, 255, 255, 255, 0];
    // Black at alpha 51/255 gives 0.2 * 0 + 0.8 * 255. Gray 100 at alpha 0.4 gives 0.4 * 100 + 0.6 * 255.
    expectPixels(toGrayscale(rgba, 4, 1), [255, 204, 193, 255]);
  });

  it("keeps gray pixels exact", () => {
    const values = Array.from({ length: 256 }, (_, value) => value);
    const gray = toGrayscale(grayToRgba(values), 16, 16);
    expect(Array.from(gray)).toEqual(values);
  });

  it("rejects wrong buffer size", () => {
    expect(() => toGrayscale(new Uint8ClampedArray(12), 2, 2)).toThrow(/12 values, expected 16/);
  });
});

describe("estimateBackground", () => {
  it("takes median of border pixels", () => {
    // prettier-ignore
    const gray = Float32Array.from([
      10, 20, 30, 40,
      50, 255, 255, 60,
      70, 80, 90, 100,
    ]);
    // Border: 10..100 (ten values), so the median is (50 + 60) / 2. The interior 255s are ignored.
    expect(estimateBackground(gray, 4, 3)).toBe(55);
  });

  it("handles single-column image", () => {
    expect(estimateBackground(Float32Array.from([5, 200, 7]), 1, 3)).toBe(7);
  });

  it("counts corner pixels once", () => {
    // Counting corners twice would make 200 the median.
    // prettier-ignore
    const gray = Float32Array.from([
      200, 0, 200,
      0, 0, 0,
      200, 0, 200,
    ]);
    expect(estimateBackground(gray, 3, 3)).toBe(100);
  });
});

describe("padToSquare", () => {
  it("pads wide image top and bottom", () => {
    const gray = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    // prettier-ignore
    expectPixels(padToSquare(gray, 4, 2, 9), [
      9, 9, 9, 9,
      1, 2, 3, 4,
      5, 6, 7, 8,
      9, 9, 9, 9,
    ]);
  });

  it("pads tall image left and right", () => {
    const gray = Float32Array.from([1, 2, 3]);
    // prettier-ignore
    expectPixels(padToSquare(gray, 1, 3, 0), [
      0, 1, 0,
      0, 2, 0,
      0, 3, 0,
    ]);
  });

  it("puts odd padding at bottom", () => {
    const gray = Float32Array.from([1, 2, 3, 4]);
    // prettier-ignore
    expectPixels(padToSquare(gray, 4, 1, 9), [
      9, 9, 9, 9,
      1, 2, 3, 4,
      9, 9, 9, 9,
      9, 9, 9, 9,
    ]);
  });

  it("copies square image unchanged", () => {
    const gray = Float32Array.from([1, 2, 3, 4]);
    expectPixels(padToSquare(gray, 2, 2, 9), [1, 2, 3, 4]);
  });
});

describe("resizeArea", () => {
  it("averages 2x2 blocks when halving", () => {
    const gray = Float32Array.from([0, 10, 20, 30, 40, 50, 60, 70]);
    expectPixels(resizeArea(gray, 4, 2, 2, 1), [25, 45]);
  });

  it("weights partial pixels by overlap", () => {
    // Output pixel 0 covers [0, 1.5): (0 * 1 + 30 * 0.5) / 1.5. Pixel 1 covers [1.5, 3).
    const gray = Float32Array.from([0, 30, 60]);
    expectPixels(resizeArea(gray, 3, 1, 2, 1), [10, 50]);
  });

  it("interpolates bilinearly when enlarging", () => {
    // Output centres map to input x = -0.25 (clamped to 0), 0.25, 0.75 and 1.25 (clamped to 1).
    const gray = Float32Array.from([0, 100]);
    expectPixels(resizeArea(gray, 2, 1, 4, 1), [0, 25, 75, 100]);
  });

  it("interpolates both axes when enlarging", () => {
    // prettier-ignore
    const gray = Float32Array.from([
      0, 100,
      100, 200,
    ]);
    // prettier-ignore
    expectPixels(resizeArea(gray, 2, 2, 4, 4), [
      0, 25, 75, 100,
      25, 50, 100, 125,
      75, 100, 150, 175,
      100, 125, 175, 200,
    ]);
  });

  it("keeps same-size image unchanged", () => {
    const gray = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(resizeArea(gray, 3, 2, 3, 2))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("shrinks one axis and enlarges other", () => {
    const gray = Float32Array.from([0, 20, 100, 120]);
    // Width 4 -> 2 averages pairs (10, 110). Height 1 -> 2 repeats the only row.
    expectPixels(resizeArea(gray, 4, 1, 2, 2), [10, 110, 10, 110]);
  });
});

describe("invert", () => {
  it("maps value to 255 minus value", () => {
    expectPixels(invert(Float32Array.from([0, 55.5, 255])), [255, 199.5, 0]);
  });
});

describe("toTensor", () => {
  it("rescales then normalises", () => {
    const gray = new Float32Array(16);
    gray.set([0, 127.5, 255, 63.75]);
    const tensor = toTensor(gray, SMALL_SPEC);
    // (0 / 255 - 0.5) / 0.25 = -2, (0.5 - 0.5) / 0.25 = 0, (1 - 0.5) / 0.25 = 2, (0.25 - 0.5) / 0.25 = -1.
    expectPixels(tensor.subarray(0, 4), [-2, 0, 2, -1]);
  });

  it("skips disabled steps", () => {
    const gray = new Float32Array(16).fill(51);
    const rescaleOnly = toTensor(gray, { ...SMALL_SPEC, do_normalize: false });
    const neither = toTensor(gray, { ...SMALL_SPEC, do_rescale: false, do_normalize: false });
    expectPixels(rescaleOnly, new Array(16).fill(0.2));
    expectPixels(neither, new Array(16).fill(51));
  });

  it("rejects wrong image size", () => {
    expect(() => toTensor(new Float32Array(9), SMALL_SPEC)).toThrow(/9 values, expected 16/);
  });
});

describe("preprocessImage", () => {
  it("inverts light-background photo", () => {
    // An 8x8 white photo with a black 4x4 item in the middle.
    const gray = new Array(64).fill(255);
    for (let y = 2; y < 6; y++) {
      for (let x = 2; x < 6; x++) {
        gray[y * 8 + x] = 0;
      }
    }
    const { preview, tensor } = preprocessImage(grayToRgba(gray), 8, 8, SMALL_SPEC);

    // prettier-ignore
    const expected = [
      0, 0, 0, 0,
      0, 255, 255, 0,
      0, 255, 255, 0,
      0, 0, 0, 0,
    ];
    expect(Array.from(preview)).toEqual(expected);
    expectPixels(tensor, expected.map((value) => (value / 255 - 0.5) / 0.25));
  });

  it("inverts transparent background", () => {
    // A fully transparent 4x4 photo composites to white, then inverts to black.
    const rgba = new Uint8ClampedArray(4 * 4 * 4);
    rgba.set([40, 40, 40, 255], 5 * 4);
    const { preview } = preprocessImage(rgba, 4, 4, SMALL_SPEC);

    const expected = new Array(16).fill(0);
    expected[5] = 215;
    expect(Array.from(preview)).toEqual(expected);
  });

  it("keeps dark-background photo", () => {
    const gray = new Array(16).fill(10);
    gray[5] = 200;
    const { preview } = preprocessImage(grayToRgba(gray), 4, 4, SMALL_SPEC);
    expect(Array.from(preview)).toEqual(gray);
  });

  it("pads wide image with background", () => {
    // prettier-ignore
    const gray = [
      10, 10, 10, 10,
      10, 90, 10, 10,
    ];
    const { preview } = preprocessImage(grayToRgba(gray), 4, 2, SMALL_SPEC);

    // prettier-ignore
    expect(Array.from(preview)).toEqual([
      10, 10, 10, 10,
      10, 10, 10, 10,
      10, 90, 10, 10,
      10, 10, 10, 10,
    ]);
  });

  it("pads then shrinks large photo", () => {
    // 8x4 dark photo -> padded to 8x8 with background 20 -> 2x2 blocks averaged to 4x4.
    const gray = new Array(32).fill(20);
    gray[1 * 8 + 2] = 220;
    const { preview } = preprocessImage(grayToRgba(gray), 8, 4, SMALL_SPEC);

    const expected = new Array(16).fill(20);
    // The bright pixel lands in padded row 3, so in output row 1, column 1: (220 + 3 * 20) / 4.
    expected[1 * 4 + 1] = 70;
    expect(Array.from(preview)).toEqual(expected);
  });

  it("passes Fashion-MNIST image unchanged", () => {
    const spec = productPhotoManifest.image;
    expect(spec.size).toEqual({ height: 28, width: 28 });

    // A Fashion-MNIST-like item: black border, every gray level 0-255 inside.
    const gray = new Array(28 * 28).fill(0);
    for (let y = 2; y < 26; y++) {
      for (let x = 2; x < 26; x++) {
        gray[y * 28 + x] = (y * 24 + x) % 256;
      }
    }
    const { preview, tensor } = preprocessImage(grayToRgba(gray), 28, 28, spec);

    expect(Array.from(preview)).toEqual(gray);
    // The training script computes (pixel * rescale_factor - mean) / std in float64 and rounds
    // to float32 once, so the tensor must match that bit for bit.
    const mean = spec.image_mean[0];
    const std = spec.image_std[0];
    const trainingInput = Float32Array.from(gray, (value) => (value * spec.rescale_factor - mean) / std);
    expect(tensor).toEqual(trainingInput);
  });

  it("rejects unsupported settings", () => {
    const rgba = grayToRgba(new Array(16).fill(0));
    expect(() => preprocessImage(rgba, 4, 4, { ...SMALL_SPEC, layout: "CHW" as "NCHW" })).toThrow(/layout "CHW"/);
    expect(() => preprocessImage(rgba, 4, 4, { ...SMALL_SPEC, do_convert_grayscale: false })).toThrow(
      /do_convert_grayscale/,
    );
  });

  it("gives one channel the same tensor in NHWC", () => {
    const rgba = grayToRgba(Array.from({ length: 16 }, (_, i) => i * 16));
    const nchw = preprocessImage(rgba, 4, 4, SMALL_SPEC);
    const nhwc = preprocessImage(rgba, 4, 4, { ...SMALL_SPEC, layout: "NHWC" });
    expect(Array.from(nhwc.tensor)).toEqual(Array.from(nchw.tensor));
  });

  it("rejects wrong size without resize", () => {
    const rgba = grayToRgba(new Array(64).fill(0));
    expect(() => preprocessImage(rgba, 8, 8, { ...SMALL_SPEC, do_resize: false })).toThrow(
      /8x8 after padding, but the model input is 4x4/,
    );
  });
});

describe("photo steps", () => {
  it("finds the content box", () => {
    // 4x3, background 200, content at (1,1) and (2,1).
    const gray = Float32Array.from([200, 200, 200, 200, 200, 10, 60, 200, 200, 200, 200, 200]);
    expect(contentBox(gray, 4, 3, 200, 25.5)).toEqual({ left: 1, top: 1, width: 2, height: 1 });
  });

  it("finds no content in a flat image", () => {
    expect(contentBox(new Float32Array(6).fill(90), 3, 2, 90, 25.5)).toBeNull();
  });

  it("crops a rectangle", () => {
    const gray = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(crop(gray, 3, { left: 1, top: 1, width: 2, height: 2 }))).toEqual([5, 6, 8, 9]);
  });

  it("stretches contrast to 0-255", () => {
    expect(Array.from(stretchContrast(Float32Array.from([10, 60, 110])))).toEqual([0, 127.5, 255]);
  });

  it("leaves a flat image unchanged", () => {
    expect(Array.from(stretchContrast(Float32Array.from([7, 7])))).toEqual([7, 7]);
  });
});

/** A 2x2 colour model: values stay small enough to check every tensor entry by hand. */
const RGB_SPEC: ImageSpec = {
  input: "pixels",
  layout: "NCHW",
  num_channels: 3,
  do_convert_rgb: true,
  do_pad_square: true,
  pad_value: "background",
  do_resize: true,
  size: { height: 2, width: 2 },
  resample: "area",
  do_invert_light_background: false,
  background_threshold: 0.5,
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: false,
  image_mean: [0, 0, 0],
  image_std: [1, 1, 1],
};

// prettier-ignore
/** Four opaque pixels, row-major: red, green / blue, and (10, 20, 30). */
const RGBA_2X2 = [
  255, 0, 0, 255,   0, 255, 0, 255,
  0, 0, 255, 255,   10, 20, 30, 255,
];

describe("toRgbPlanes", () => {
  it("splits pixels into red, green, blue planes", () => {
    // prettier-ignore
    expect(Array.from(toRgbPlanes(RGBA_2X2, 2, 2))).toEqual([
      255, 0, 0, 10, // red
      0, 255, 0, 20, // green
      0, 0, 255, 30, // blue
    ]);
  });

  it("composites alpha over white per channel", () => {
    // Red at alpha 51/255 (0.2): red 0.2 * 255 + 0.8 * 255, green and blue 0.8 * 255.
    const planes = toRgbPlanes([255, 0, 0, 51, 0, 0, 0, 0], 2, 1);
    expectPixels(planes, [255, 255, 204, 255, 204, 255]);
  });

  it("rejects wrong buffer size", () => {
    expect(() => toRgbPlanes([0, 0, 0, 255], 2, 1)).toThrow(/RGBA buffer has 4 values, expected 8/);
  });
});

describe("interleave", () => {
  it("turns planes into RGB triples", () => {
    const planes = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(interleave(planes, 3))).toEqual([1, 3, 5, 2, 4, 6]);
  });
});

describe("toRgbTensor", () => {
  const planes = toRgbPlanes(RGBA_2X2, 2, 2);

  it("keeps planes in NCHW", () => {
    const tensor = toRgbTensor(planes, RGB_SPEC);
    expectPixels(tensor, [1, 0, 0, 10 / 255, 0, 1, 0, 20 / 255, 0, 0, 1, 30 / 255], 6);
  });

  it("interleaves channels in NHWC", () => {
    const tensor = toRgbTensor(planes, { ...RGB_SPEC, layout: "NHWC" });
    expectPixels(tensor, [1, 0, 0, 0, 1, 0, 0, 0, 1, 10 / 255, 20 / 255, 30 / 255], 6);
  });

  it("normalises each channel with its own mean and std", () => {
    const spec = { ...RGB_SPEC, do_normalize: true, image_mean: [0.5, 0.25, 0], image_std: [0.5, 0.25, 2] };
    const tensor = toRgbTensor(planes, spec);
    // prettier-ignore
    expectPixels(tensor, [
      1, -1, -1, (10 / 255 - 0.5) / 0.5,
      -1, 3, -1, (20 / 255 - 0.25) / 0.25,
      0, 0, 0.5, 30 / 255 / 2,
    ], 6);
  });

  it("applies a single mean and std to every channel", () => {
    const spec = { ...RGB_SPEC, layout: "NHWC" as const, do_normalize: true, image_mean: [0.5], image_std: [0.5] };
    expectPixels(toRgbTensor(planes, spec).subarray(0, 3), [1, -1, -1], 6);
  });

  it("rounds to float32 once", () => {
    const spec = { ...RGB_SPEC, do_normalize: true, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] };
    const tensor = toRgbTensor(planes, spec);
    expect(tensor[3]).toBe(Math.fround((10 / 255 - 0.485) / 0.229));
    expect(tensor[11]).toBe(Math.fround((30 / 255 - 0.406) / 0.225));
  });
});

describe("preprocessImage with three channels", () => {
  it("passes a model-sized image through", () => {
    const { tensor, preview } = preprocessImage(RGBA_2X2, 2, 2, RGB_SPEC);
    expect(Array.from(tensor)).toEqual(Array.from(toRgbTensor(toRgbPlanes(RGBA_2X2, 2, 2), RGB_SPEC)));
    expect(Array.from(preview)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    expect(tensor.length).toBe(tensorLength(RGB_SPEC));
    expect(preview.length).toBe(previewLength(RGB_SPEC));
  });

  it("pads with each channel's border median", () => {
    // A 2x1 image, orange then blue: each channel's background is the median of its two border pixels.
    const rgba = [200, 100, 0, 255, 0, 0, 100, 255];
    const spec = { ...RGB_SPEC, do_rescale: false };
    const { preview } = preprocessImage(rgba, 2, 1, spec);
    // The padded 2x2 image: row 0 the image, row 1 the per-channel median (100, 50, 50).
    expect(Array.from(preview)).toEqual([200, 100, 0, 0, 0, 100, 100, 50, 50, 100, 50, 50]);
  });

  it("pads with a fixed value", () => {
    const rgba = [200, 100, 0, 255, 0, 0, 100, 255];
    const { preview } = preprocessImage(rgba, 2, 1, { ...RGB_SPEC, pad_value: 7 });
    expect(Array.from(preview.subarray(6))).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it("resizes each channel by area", () => {
    // 4x4 in four 2x2 colour blocks: red, green / blue, white. Shrinking to 2x2 keeps each block's colour.
    const blocks = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [255, 255, 255],
    ];
    const rgba: number[] = [];
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) rgba.push(...blocks[(y >> 1) * 2 + (x >> 1)]!, 255);
    }
    const { preview } = preprocessImage(rgba, 4, 4, RGB_SPEC);
    expect(Array.from(preview)).toEqual(blocks.flat());
  });

  it("gives NHWC the NCHW values interleaved", () => {
    const rgba = Array.from({ length: 4 * 4 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
    const spec = { ...RGB_SPEC, size: { height: 4, width: 4 } };
    const nchw = preprocessImage(rgba, 4, 4, spec).tensor;
    const nhwc = preprocessImage(rgba, 4, 4, { ...spec, layout: "NHWC" }).tensor;
    expect(Array.from(nhwc)).toEqual(Array.from(interleave(nchw, 3)));
  });

  it("rejects grayscale-only steps and bad normalisation", () => {
    expect(() => preprocessImage(RGBA_2X2, 2, 2, { ...RGB_SPEC, do_invert_light_background: true })).toThrow(/do_invert_light_background true with three channels/);
    expect(() => preprocessImage(RGBA_2X2, 2, 2, { ...RGB_SPEC, do_convert_rgb: false })).toThrow(/do_convert_rgb false/);
    expect(() => preprocessImage(RGBA_2X2, 2, 2, { ...RGB_SPEC, do_normalize: true, image_mean: [0, 0] })).toThrow(/image_mean \[0,0\] \(give 1 or 3 numbers\)/);
    expect(() => preprocessImage(RGBA_2X2, 2, 2, { ...RGB_SPEC, do_normalize: true, image_std: [1, 0, 1] })).toThrow(/divides by zero/);
    expect(() => preprocessImage(RGBA_2X2, 2, 2, { ...RGB_SPEC, num_channels: 4 as 3 })).toThrow(/num_channels 4 \(only 1 or 3\)/);
  });
});

describe("checkImageSection", () => {
  it("accepts the shipped and RGB specs", () => {
    expect(() => checkImageSection(productPhotoManifest.image, "model.onnx")).not.toThrow();
    expect(() => checkImageSection(RGB_SPEC, "model.onnx")).not.toThrow();
  });

  it("names every unsupported setting", () => {
    const spec = { ...RGB_SPEC, resample: "bicubic" as "area", do_normalize: true, image_std: [1, 1] };
    expect(() => checkImageSection(spec, "model.onnx")).toThrow(
      'The manifest of the model "model.onnx" has image settings Tandem does not implement: resample "bicubic" (only "area"), image_std [1,1] (give 1 or 3 numbers).',
    );
  });
});

describe("isBlank", () => {
  const spec = productPhotoManifest.image;
  const previewOf = (rgba: Uint8ClampedArray, width: number, height: number) => preprocessImage(rgba, width, height, spec).preview;

  it("fully transparent 50x50 image", () => {
    expect(isBlank(previewOf(new Uint8ClampedArray(50 * 50 * 4), 50, 50))).toBe(true);
  });

  it("1x1 white image", () => {
    expect(isBlank(previewOf(grayToRgba([255]), 1, 1))).toBe(true);
  });

  it("uniform mid-gray 30x20 image", () => {
    expect(isBlank(previewOf(grayToRgba(new Array(600).fill(128)), 30, 20))).toBe(true);
  });

  it("dark triangle on white", () => {
    const gray = new Array(40 * 40).fill(255);
    for (let y = 10; y < 30; y++) for (let x = 10; x <= y; x++) gray[y * 40 + x] = 20;
    expect(isBlank(previewOf(grayToRgba(gray), 40, 40))).toBe(false);
  });
});
