"""Recurrent layers: SimpleRNN, LSTM, GRU (and their cells), Bidirectional, ConvLSTM.

Keras 3 arguments, weight layouts (``kernel`` (input_dim, G*units),
``recurrent_kernel`` (units, G*units), gate order i, f, c, o for the LSTM and z, r, h
for the GRU) and file paths (``layers/lstm/cell/vars/0``); torch's fused RNN kernels
inside whenever the configuration allows.
"""

from cnnkit.layers.recurrent.bidirectional import Bidirectional
from cnnkit.layers.recurrent.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from cnnkit.layers.recurrent.gru import GRU, GRUCell
from cnnkit.layers.recurrent.lstm import LSTM, LSTMCell
from cnnkit.layers.recurrent.rnn import RNN
from cnnkit.layers.recurrent.simple_rnn import SimpleRNN, SimpleRNNCell

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
]
