"""``micrograd.utils``: PyTorch's ``torch.utils`` for the course's scripts.

``data`` (datasets and ``DataLoader``) is imported with it, so ``torch.utils.data.DataLoader``
works after ``import micrograd as torch``. ``tensorboard`` (``SummaryWriter``) needs the
optional extra (tensorboardX: ``pip install -e '.[tensorboard]'`` in micrograd's clone) and,
as in PyTorch, is imported only when asked for:
``from micrograd.utils.tensorboard import SummaryWriter``.
"""

from micrograd.utils import data

__all__ = ["data"]
