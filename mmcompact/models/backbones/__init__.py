from .cifar_resnet import CifarResNet
from .cifar_vgg import CifarVGG
from .efficientnet_lite import EfficientNetLite
from .staged_backbone import StagedBackbone

__all__ = ['CifarResNet', 'CifarVGG', 'EfficientNetLite', 'StagedBackbone']
