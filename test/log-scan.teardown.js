module.exports = require('./log-scan.js').teardown;
