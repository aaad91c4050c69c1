/**
 * The image tools as a library (for `vzmaster push` and the like): nothing here prints or exits.
 *   pack(bundleDir, outDir, {app, compression}) -> {path, digest, manifest, manifestPath}
 *   buildImage(recipePath, outDir, {debCache, runch, log}) -> {image, digest, size, cached, packages}
 *   unpack(imagePath, targetDir, {expectedDigest}) -> {digest, entries, manifest?}
 */
export { pack, type PackOptions, type PackResult } from './pack.ts';
export { unpack, importDocker, type UnpackOptions } from './unpack.ts';
export { makeBundle, bundleConfig, type BundleOptions } from './bundle.ts';
export { rootfsFromSpec } from './rootfs.ts';
export { lddTrace, type LddTraceOptions } from './ldd-trace.ts';
export { straceTrace } from './strace-trace.ts';
export { readSpec, writeSpec, parseSpec } from './spec.ts';
export { manifestSchema, readManifest, type Manifest } from './manifest.ts';
export { hasZstd, type Compression } from './compression.ts';
export { buildImage, loadRecipe, type BuildOptions, type BuildResult, type Recipe } from './build/index.ts';
export { importImage } from './oci-layout/import.ts';
export { exportImage, imageConfig } from './oci-layout/export.ts';
