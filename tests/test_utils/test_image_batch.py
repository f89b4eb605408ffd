import pytest
import torch

from mmcompact.utils import stack_images


def test_stacks_a_list_and_keeps_a_tensor():
    images = [torch.full((3, 4, 5), float(i)) for i in range(2)]
    batch = stack_images(images, 'the test')
    assert batch.shape == (2, 3, 4, 5) and batch[1].eq(1).all()
    assert stack_images(batch, 'the test') is batch


def test_refuses_images_of_different_sizes_naming_them():
    images = [torch.zeros(3, 8, 8), torch.zeros(3, 9, 8)]
    with pytest.raises(ValueError, match=r'^the test needs images of one '
                       r'size.*\(3, 8, 8\), \(3, 9, 8\).*image_size'):
        stack_images(images, 'the test')
