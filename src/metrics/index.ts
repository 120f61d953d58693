export {
  HOROWITZ_PJ, neuroBenchMetrics, energyComparison, annMacs, footprintBytes, connectionSparsity,
  type NeuroBenchMetrics, type EnergyComparison,
} from './neurobench.js';
export { agreementRate } from './agreement.js';
