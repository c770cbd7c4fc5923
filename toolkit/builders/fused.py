"""An LSTM layer that runs PyTorch's fused kernel on the torch backend.

Keras 3 hands an LSTM to cuDNN on a GPU; on a CPU with the torch backend it runs a Python
loop over the time steps, differentiated step by step by autograd, at about half the speed
of ``torch.nn.LSTM`` on the same network (``bench/bench_backends.py``). :class:`FusedLSTM`
is ``keras.layers.LSTM`` with the same weights, configuration and numbers; on torch it
calls ``torch.lstm``, the fused ATen operator ``nn.LSTM`` itself uses (cuDNN on CUDA),
whenever the layer is one that operator computes: tanh / sigmoid activations, a bias, no
mask, no recurrent or input dropout in training, forward in time, not unrolled. Anything
else, and every other backend, takes Keras's own path.

Keras's gate order (input, forget, cell, output) is PyTorch's; its kernels are the
transposes of PyTorch's ``weight_ih`` / ``weight_hh``, and its one bias is ``bias_ih``
with ``bias_hh`` zero.
"""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="toolkit")
class FusedLSTM(layers.LSTM):
    """``keras.layers.LSTM`` (same arguments) with PyTorch's fused kernel on the torch backend."""

    def _fusable(self, mask, training) -> bool:
        from keras.src import activations

        return (keras.backend.backend() == "torch" and mask is None and not self.go_backwards
                and not self.unroll and self.cell.use_bias and not self.recurrent_dropout
                and not (training and self.dropout)
                and self.cell.activation is activations.tanh
                and self.cell.recurrent_activation is activations.sigmoid)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if not self._fusable(mask, training):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        import torch
        from keras import ops

        dtype = sequences.dtype
        if sequences.device.type == "meta":
            # Keras builds a new model's loss and metrics on meta tensors (shapes only); PyTorch
            # runs a fused LSTM there through its Python decomposition, step by step, for nothing.
            batch, steps, units = sequences.shape[0], sequences.shape[1], self.cell.units
            outputs = torch.empty((batch, steps, units), dtype=dtype, device="meta")
            state = torch.empty((batch, units), dtype=dtype, device="meta")
            return outputs[:, -1], outputs, [state, torch.empty_like(state)]
        kernel = ops.cast(self.cell.kernel, dtype)
        recurrent = ops.cast(self.cell.recurrent_kernel, dtype)
        bias = ops.cast(self.cell.bias, dtype)
        h, c = (ops.cast(state, dtype) for state in initial_state)
        # torch.lstm(input, (h0, c0), [w_ih, w_hh, b_ih, b_hh], has_biases, num_layers, dropout,
        #            train, bidirectional, batch_first)
        outputs, h_n, c_n = torch.lstm(sequences, (h[None], c[None]),
                                       [kernel.T, recurrent.T, bias, torch.zeros_like(bias)],
                                       True, 1, 0.0, bool(training), False, True)
        return outputs[:, -1], outputs, [h_n[0], c_n[0]]
