// The wire strings of the text formats, written out so that the tests pin them, not the code's constants.

/** What Prometheus 2.42 sends without `--enable-feature=native-histograms` (seen on the wire). */
export const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
export const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
