/**
 * Datasets: JSON Lines reading (bad lines named by file and line) and atomic writing, chat
 * fine-tuning records in the OpenAI format, and the bundled public datasets.
 */
package dev.keel.core.data;
