// jest setupFiles: in-process runs lay their output out as wide as it is (see jest.config.js).
process.env.COLUMNS = '10000';
