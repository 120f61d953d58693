/** The ONNX domain of snnc's neuron nodes (`snnc::IF`, `snnc::CubaLIF`, …), declared in a model's opset_import. */
export const SNNC_DOMAIN = 'snnc';
