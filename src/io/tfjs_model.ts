/**
 * TF.js LayersModels as files: `DIR/model.json` (topology + weightsManifest) and `DIR/weights.bin`,
 * the layout tf.loadLayersModel('…/model.json') reads over HTTP in the browser. Node only (fs); the
 * caller makes the enclosing folder atomic (see writeDirAtomic).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.js';
import { VERSION } from '../version.js';

export async function saveLayersModel(m: tf.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      const modelJson = {
        modelTopology: a.modelTopology,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: `wgan-inpaint ${VERSION}`,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)));
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** Load DIR/model.json + its weight files. Missing or corrupt files → UserError naming `what`. */
export async function loadLayersModel(dir: string, what = 'model'): Promise<tf.LayersModel> {
  const jsonPath = path.join(dir, 'model.json');
  try {
    const j = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as {
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    };
    const specs = j.weightsManifest.flatMap((g) => g.weights);
    const buf = Buffer.concat(j.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
    const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    return await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: j.modelTopology, weightSpecs: specs, weightData }),
    );
  } catch (e) {
    throw new UserError(`cannot load ${what} '${jsonPath}': ${(e as Error).message.split('\n')[0]}`);
  }
}
