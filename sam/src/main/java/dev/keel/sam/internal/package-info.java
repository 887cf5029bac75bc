/** Helpers of the sam module that users must not call: parameter snapshots and plotting details. */
package dev.keel.sam.internal;
