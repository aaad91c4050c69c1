export { decodeDelta, DELTA_LIMITS, deltaHeaderSchema, encodeDelta, type DeltaHeader, type DeltaOp } from './format.ts';
export { DELTA_NAME, deltaName, deltaOfTars, IMAGE_NAME, imageNameParts, makeDelta, readImageTar, type DeltaStats } from './make.ts';
export { rebuildImage } from './rebuild.ts';
